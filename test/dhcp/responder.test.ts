import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { respond } from '../../src/dhcp/responder.js';
import { intToIp, ipToInt } from '../../src/net/ipv4.js';
import { getIp, getUint32, ipBytes, Opt } from '../../src/dhcp/options.js';
import { decodePacket, encodePacket, MessageType, messageTypeName } from '../../src/dhcp/packet.js';
import { createMemoryLeaseStore } from '../../lab/store/memory-leases.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { readPcapDhcp, bootCaptures } from './pcap.js';
import { clientKinds, dhcpConfig, labDhcp, labServerId, request, responderContext } from './requests.js';

const dhcp = { address: '0.0.0.0', port: 68, via: 'dhcp' as const };
const KNOWN = '02:00:00:00:aa:01';
const UNKNOWN = '02:00:00:00:bb:02';

const expectedFile: Record<keyof typeof clientKinds, string> = {
  'BIOS PXE ROM': 'pxelinux.0',
  'EFI PXE (93 = 7)': 'grubnetx64.efi',
  'EFI PXE (93 = 9)': 'grubnetx64.efi',
  'iPXE (77)': 'http://10.202.5.1:8080/boot.ipxe?mac=${net0/mac}&uuid=${uuid}&arch=${buildarch}',
  'iPXE EFI (175 only)': 'http://10.202.5.1:8080/boot.ipxe?mac=${net0/mac}&uuid=${uuid}&arch=${buildarch}',
  'pypxeboot udhcpc 0.9.8': 'pxelinux.0',
  'plain udhcpc/dhclient': 'pxelinux.0',
};
const isPxeKind = (kind: string) => !kind.startsWith('pypxeboot') && !kind.startsWith('plain');

type Row = [mode: string, kind: keyof typeof clientKinds, known: boolean, allowUnknown: boolean, expected: string];
const rows: Row[] = [];
for (const mode of ['full', 'proxy', 'off']) {
  for (const kind of Object.keys(clientKinds) as Array<keyof typeof clientKinds>) {
    for (const [known, allowUnknown] of [[true, true], [false, true], [true, false], [false, false]] as const) {
      let expected = 'OFFER';
      if (mode === 'off') expected = 'silent';
      else if (!known && !allowUnknown) expected = 'silent';
      else if (mode === 'proxy' && !isPxeKind(kind)) expected = 'silent';
      rows.push([mode, kind, known, allowUnknown, expected]);
    }
  }
}

describe('responder table: mode × client kind × known/unknown → reply or silence', () => {
  it.each(rows)('%s mode, %s, known=%s, allowUnknown=%s → %s', async (mode, kind, known, allowUnknown, expected) => {
    const config = dhcpConfig({ ...labDhcp, mode, allowUnknown });
    const { context } = await responderContext(config);
    const mac = known ? KNOWN : UNKNOWN;
    const outcome = await respond(request({ type: MessageType.Discover, mac, options: clientKinds[kind] }), dhcp, context());
    if (expected === 'silent') {
      expect(outcome.reply).toBeNull();
      return;
    }
    const reply = outcome.reply!;
    const packet = decodePacket(encodePacket(reply.packet));
    expect(messageTypeName(packet.type)).toBe(expected);
    // Every OFFER carries siaddr and option 54; the boot file is in `file` (when it fits) and in 67 when asked.
    expect(packet.siaddr).toBe('10.202.5.1');
    expect(getIp(packet.options, Opt.ServerId)).toBe('10.202.5.1');
    const file = expectedFile[kind];
    if (file.length <= 127) expect(packet.file).toBe(file);
    if (clientKinds[kind][Opt.ParameterList].includes(67)) expect(packet.options.get(Opt.BootFile)?.toString()).toBe(file);
    // Option 66 only when asked for, and then naming the same TFTP server as siaddr.
    expect(packet.options.get(Opt.TftpServer)?.toString()).toBe(clientKinds[kind][Opt.ParameterList].includes(66) ? '10.202.5.1' : undefined);
    expect(reply.address).toBe('255.255.255.255');
    expect(reply.port).toBe(68);
    expect(encodePacket(reply.packet).length).toBeLessThanOrEqual(548);
    if (mode === 'proxy') {
      expect(packet.yiaddr).toBe('0.0.0.0');
      expect(packet.options.get(Opt.VendorClass)?.toString()).toBe('PXEClient');
      expect(packet.options.has(Opt.LeaseTime)).toBe(false);
      expect(packet.options.has(Opt.VendorSpecific)).toBe(kind === 'BIOS PXE ROM' || kind === 'iPXE (77)');
    } else {
      expect(packet.yiaddr).toBe(known ? '10.202.5.10' : '10.202.5.100');
      expect(getUint32(packet.options, Opt.LeaseTime)).toBe(3600);
      expect(getIp(packet.options, Opt.Router)).toBe('10.202.5.1');
      // PXELINUX options go unrequested to everyone but iPXE clients getting a script.
      expect(packet.options.has(Opt.PxelinuxConfigFile)).toBe(!kind.startsWith('iPXE'));
      expect(packet.options.has(Opt.VendorClass)).toBe(false);
    }
  });
});

describe('pypxeboot udhcpc 0.9.8, the strictest client (boot-protocols.md §1.3)', () => {
  it('its captured DISCOVER gets an OFFER with siaddr and option 54, broadcast, ≤ 548 bytes', async () => {
    const captured = readPcapDhcp(join(bootCaptures, 'pypxeboot-udhcp-0.9.8.pcap')).find((d) => d.dstPort === 67)!;
    const discover = decodePacket(captured.payload);
    const { context } = await responderContext(dhcpConfig(labDhcp));
    const outcome = await respond(discover, dhcp, context());
    const bytes = encodePacket(outcome.reply!.packet);
    const offer = decodePacket(bytes);
    expect(offer.type).toBe(MessageType.Offer);
    expect(offer.siaddr).toBe('10.202.5.1');
    expect(getIp(offer.options, Opt.ServerId)).toBe('10.202.5.1');
    expect(offer.chaddr.subarray(0, 6).toString('hex')).toBe('00163e112233');
    expect(outcome.reply!.address).toBe('255.255.255.255');
    expect(bytes.length).toBeLessThanOrEqual(548);
    expect(offer.yiaddr).toBe('10.202.5.100');
  });
});

describe('RFC 2131 state machine', () => {
  const offerThenRequest = async (ctx: Awaited<ReturnType<typeof responderContext>>, mac: string) => {
    const offer = await respond(request({ type: MessageType.Discover, mac }), dhcp, ctx.context());
    const ip = offer.reply!.packet.yiaddr;
    const ack = await respond(request({ type: MessageType.Request, mac, options: { [Opt.ServerId]: labServerId, [Opt.RequestedIp]: ipBytes(ip) } }), dhcp, ctx.context());
    return { ip, ack };
  };

  it('SELECTING: ACK for our server id, the lease is in the store before the reply exists', async () => {
    const ctx = await responderContext(dhcpConfig(labDhcp));
    const { ip, ack } = await offerThenRequest(ctx, UNKNOWN);
    expect(ack.reply!.packet.type).toBe(MessageType.Ack);
    expect(ack.reply!.packet.yiaddr).toBe(ip);
    const stored = await ctx.store.getLeaseByIp(ip);
    expect(stored).toMatchObject({ mac: UNKNOWN, state: 'bound', expiresAt: ctx.clock.now + 3_600_000 });
  });

  it('a server with its own store holds offers in memory only: the store sees the ACK, the hold still blocks others', async () => {
    const ctx = await responderContext(dhcpConfig({ ...labDhcp, ranges: [{ start: '10.202.5.100', end: '10.202.5.100' }] }), createMemoryLeaseStore(), 1_700_000_000_000, false);
    const offer = await respond(request({ type: MessageType.Discover, mac: UNKNOWN }), dhcp, ctx.context());
    expect(offer.reply!.packet.yiaddr).toBe('10.202.5.100');
    expect(await ctx.store.getLeaseByIp('10.202.5.100')).toBeNull();
    expect((await respond(request({ type: MessageType.Discover, mac: '02:00:00:00:12:36' }), dhcp, ctx.context())).reply).toBeNull();
    const ack = await respond(request({ type: MessageType.Request, mac: UNKNOWN, options: { [Opt.ServerId]: labServerId, [Opt.RequestedIp]: ipBytes('10.202.5.100') } }), dhcp, ctx.context());
    expect(ack.reply!.packet.type).toBe(MessageType.Ack);
    expect(await ctx.store.getLeaseByIp('10.202.5.100')).toMatchObject({ mac: UNKNOWN, state: 'bound' });
  });

  it('an address reserved in the inventory (inside a range) is never handed to another MAC', async () => {
    const inventory = new Map([['10.202.5.100', '02:00:00:00:99:01']]);
    const ctx = await responderContext(dhcpConfig(labDhcp), createMemoryLeaseStore(), 1_700_000_000_000, true, (ip) => inventory.get(ip));
    const offer = await respond(request({ type: MessageType.Discover, mac: UNKNOWN, options: { [Opt.RequestedIp]: ipBytes('10.202.5.100') } }), dhcp, ctx.context());
    expect(offer.reply!.packet.yiaddr).toBe('10.202.5.101');
    const grab = await respond(request({ type: MessageType.Request, mac: UNKNOWN, options: { [Opt.RequestedIp]: ipBytes('10.202.5.100') } }), dhcp, ctx.context());
    expect(grab.reply!.packet.type).toBe(MessageType.Nak);
  });

  it('SELECTING another server: silent, and our offered address goes back to the pool', async () => {
    const ctx = await responderContext(dhcpConfig(labDhcp));
    const offer = await respond(request({ type: MessageType.Discover, mac: UNKNOWN }), dhcp, ctx.context());
    const ip = offer.reply!.packet.yiaddr;
    const other = await respond(request({ type: MessageType.Request, mac: UNKNOWN, options: { [Opt.ServerId]: ipBytes('10.202.5.2'), [Opt.RequestedIp]: ipBytes(ip) } }), dhcp, ctx.context());
    expect(other.reply).toBeNull();
    expect(ctx.leases.isAvailable(ip, '02:00:00:00:cc:03', ctx.clock.now)).toBe(true);
  });

  it('INIT-REBOOT: NAK for an address in another subnet and for a reserved client asking elsewhere; silence for a client with no record', async () => {
    const ctx = await responderContext(dhcpConfig(labDhcp));
    const { ip } = await offerThenRequest(ctx, UNKNOWN);
    const wrongSubnet = await respond(request({ type: MessageType.Request, mac: UNKNOWN, options: { [Opt.RequestedIp]: ipBytes('192.168.1.5') } }), dhcp, ctx.context());
    expect(wrongSubnet.reply!.packet.type).toBe(MessageType.Nak);
    expect(wrongSubnet.reply!.address).toBe('255.255.255.255');
    // RFC 2131 §4.3.2: no record of this client, so no answer at all (not even a NAK).
    const stolen = await respond(request({ type: MessageType.Request, mac: '02:00:00:00:dd:04', options: { [Opt.RequestedIp]: ipBytes(ip) } }), dhcp, ctx.context());
    expect(stolen.reply).toBeNull();
    const reserved = await respond(request({ type: MessageType.Request, mac: KNOWN, options: { [Opt.RequestedIp]: ipBytes('10.202.5.105') } }), dhcp, ctx.context());
    expect(reserved.reply!.packet.type).toBe(MessageType.Nak);
    const own = await respond(request({ type: MessageType.Request, mac: UNKNOWN, options: { [Opt.RequestedIp]: ipBytes(ip) } }), dhcp, ctx.context());
    expect(own.reply!.packet.type).toBe(MessageType.Ack);
  });

  it('RENEWING: ACK unicast to ciaddr, lease extended', async () => {
    const ctx = await responderContext(dhcpConfig(labDhcp));
    const { ip } = await offerThenRequest(ctx, UNKNOWN);
    ctx.clock.now += 1_800_000;
    const renew = await respond(request({ type: MessageType.Request, mac: UNKNOWN, ciaddr: ip }), { address: ip, port: 68, via: 'dhcp' }, ctx.context());
    expect(renew.reply!.packet.type).toBe(MessageType.Ack);
    expect(renew.reply!.address).toBe(ip);
    expect((await ctx.store.getLeaseByIp(ip))!.expiresAt).toBe(ctx.clock.now + 3_600_000);
  });

  it('RELEASE frees the address for the next client', async () => {
    const ctx = await responderContext(dhcpConfig(labDhcp));
    const { ip } = await offerThenRequest(ctx, UNKNOWN);
    const release = await respond(request({ type: MessageType.Release, mac: UNKNOWN, ciaddr: ip, options: { [Opt.ServerId]: labServerId } }), dhcp, ctx.context());
    expect(release.reply).toBeNull();
    expect((await ctx.store.getLeaseByIp(ip))!.state).toBe('released');
    expect(ctx.leases.isAvailable(ip, '02:00:00:00:ee:05', ctx.clock.now)).toBe(true);
  });

  it('DECLINE quarantines the address: nobody gets it until declineHold has passed', async () => {
    const ctx = await responderContext(dhcpConfig({ ...labDhcp, ranges: [{ start: '10.202.5.100', end: '10.202.5.101' }], declineHold: 600 }));
    const { ip } = await offerThenRequest(ctx, UNKNOWN);
    await respond(request({ type: MessageType.Decline, mac: UNKNOWN, options: { [Opt.ServerId]: labServerId, [Opt.RequestedIp]: ipBytes(ip) } }), dhcp, ctx.context());
    expect((await ctx.store.getLeaseByIp(ip))!.state).toBe('declined');
    const again = await respond(request({ type: MessageType.Discover, mac: UNKNOWN }), dhcp, ctx.context());
    expect(again.reply!.packet.yiaddr).not.toBe(ip);
    const third = await respond(request({ type: MessageType.Discover, mac: '02:00:00:00:ff:06' }), dhcp, ctx.context());
    expect(third.reply).toBeNull();
    expect(third.reason).toMatch(/pool full/);
    ctx.clock.now += 601_000;
    const later = await respond(request({ type: MessageType.Discover, mac: '02:00:00:00:ff:06' }), dhcp, ctx.context());
    const last = await respond(request({ type: MessageType.Discover, mac: '02:00:00:00:ff:07' }), dhcp, ctx.context());
    expect([later.reply!.packet.yiaddr, last.reply!.packet.yiaddr].sort()).toEqual(['10.202.5.100', '10.202.5.101']);
  });

  it('INFORM: ACK without yiaddr and without a lease time, unicast to ciaddr', async () => {
    const ctx = await responderContext(dhcpConfig(labDhcp));
    const inform = await respond(request({ type: MessageType.Inform, mac: UNKNOWN, ciaddr: '10.202.5.77' }), dhcp, ctx.context());
    const packet = inform.reply!.packet;
    expect(packet.type).toBe(MessageType.Ack);
    expect(packet.yiaddr).toBe('0.0.0.0');
    expect(packet.options.has(Opt.LeaseTime)).toBe(false);
    expect(inform.reply!.address).toBe('10.202.5.77');
  });

  it('offers expire: an offer not taken up within offerHold goes to someone else', async () => {
    const ctx = await responderContext(dhcpConfig({ ...labDhcp, ranges: [{ start: '10.202.5.100', end: '10.202.5.100' }], offerHold: 5 }));
    const first = await respond(request({ type: MessageType.Discover, mac: UNKNOWN }), dhcp, ctx.context());
    expect(first.reply!.packet.yiaddr).toBe('10.202.5.100');
    expect((await respond(request({ type: MessageType.Discover, mac: '02:00:00:00:12:34' }), dhcp, ctx.context())).reply).toBeNull();
    ctx.clock.now += 6_000;
    const second = await respond(request({ type: MessageType.Discover, mac: '02:00:00:00:12:34' }), dhcp, ctx.context());
    expect(second.reply!.packet.yiaddr).toBe('10.202.5.100');
  });

  it('bound leases expire too, and a lease survives a restart of the table (same store)', async () => {
    const config = dhcpConfig({ ...labDhcp, ranges: [{ start: '10.202.5.100', end: '10.202.5.100' }], leaseTime: 60 });
    const ctx = await responderContext(config);
    const { ip } = await offerThenRequest(ctx, UNKNOWN);
    const restarted = await responderContext(config, ctx.store, ctx.clock.now);
    expect((await respond(request({ type: MessageType.Discover, mac: '02:00:00:00:12:35' }), dhcp, restarted.context())).reply).toBeNull();
    expect((await respond(request({ type: MessageType.Discover, mac: UNKNOWN }), dhcp, restarted.context())).reply!.packet.yiaddr).toBe(ip);
    restarted.clock.now += 61_000;
    expect((await respond(request({ type: MessageType.Discover, mac: '02:00:00:00:12:35' }), dhcp, restarted.context())).reply!.packet.yiaddr).toBe(ip);
  });
});

describe('relays, sizes and bad input', () => {
  it('a relayed DISCOVER gets an address in the giaddr subnet, sent to giaddr:67, with option 82 echoed last', async () => {
    const ctx = await responderContext(dhcpConfig(labDhcp));
    const agent = Buffer.from([1, 4, 0, 0, 0, 7]);
    const outcome = await respond(request({ type: MessageType.Discover, mac: UNKNOWN, giaddr: '10.202.6.1', options: { [Opt.RelayAgent]: agent } }), dhcp, ctx.context());
    expect(outcome.reply!.address).toBe('10.202.6.1');
    expect(outcome.reply!.port).toBe(67);
    const packet = outcome.reply!.packet;
    // The relay is asked to broadcast: the client has no address yet.
    expect(packet.flags & 0x8000).toBe(0x8000);
    expect(packet.yiaddr).toBe('10.202.6.100');
    expect(getIp(packet.options, Opt.Router)).toBe('10.202.6.1');
    expect([...packet.options.keys()].at(-1)).toBe(Opt.RelayAgent);
    expect(packet.options.get(Opt.RelayAgent)).toEqual(agent);
    const unknownRelay = await respond(request({ type: MessageType.Discover, mac: UNKNOWN, giaddr: '172.16.0.1' }), dhcp, ctx.context());
    expect(unknownRelay.reply).toBeNull();
  });

  it('drops the least important options to stay within 548 bytes, and uses more when option 57 allows it', async () => {
    const many = Array.from({ length: 12 }, (_, i) => ({ code: 224 + i, type: 'text', value: 'x'.repeat(40) }));
    const config = dhcpConfig({ ...labDhcp, options: many.map((o) => ({ ...o, always: true })) });
    const ctx = await responderContext(config);
    const small = await respond(request({ type: MessageType.Discover, mac: UNKNOWN, options: clientKinds['BIOS PXE ROM'] }), dhcp, ctx.context());
    const smallBytes = encodePacket(small.reply!.packet);
    expect(smallBytes.length).toBeLessThanOrEqual(548);
    expect(small.dropped!.length).toBeGreaterThan(0);
    expect(small.dropped!.every((c) => c >= 224)).toBe(true);
    const packet = decodePacket(smallBytes);
    for (const code of [Opt.ServerId, Opt.LeaseTime, Opt.SubnetMask, Opt.Router, Opt.BootFile, Opt.PxelinuxConfigFile]) expect(packet.options.has(code)).toBe(true);
    const large = await respond(request({ type: MessageType.Discover, mac: '02:00:00:00:77:01', options: { ...clientKinds['BIOS PXE ROM'], [Opt.MaxMessageSize]: Buffer.from([0x05, 0xc0]) } }), dhcp, ctx.context());
    expect(large.dropped).toBeUndefined();
    expect(encodePacket(large.reply!.packet).length).toBeGreaterThan(548);
  });

  it('a UEFI HTTP boot client (option 60 HTTPClient, 93 = 16) gets the httpX64 URL and option 60 HTTPClient back', async () => {
    const ctx = await responderContext(dhcpConfig({ ...labDhcp, boot: { httpX64: 'http://10.202.5.1:8080/files/grubx64.efi' } }));
    const outcome = await respond(request({ type: MessageType.Discover, mac: UNKNOWN, options: { [Opt.VendorClass]: 'HTTPClient:Arch:00016:UNDI:003001', [Opt.ClientArch]: Buffer.from([0, 16]), [Opt.ParameterList]: Buffer.from([1, 3, 6, 60, 67]) } }), dhcp, ctx.context());
    const packet = outcome.reply!.packet;
    expect(packet.file).toBe('http://10.202.5.1:8080/files/grubx64.efi');
    expect(packet.options.get(Opt.BootFile)?.toString()).toBe('http://10.202.5.1:8080/files/grubx64.efi');
    expect(packet.options.get(Opt.VendorClass)?.toString()).toBe('HTTPClient');
  });

  it('stays silent on malformed options instead of throwing', async () => {
    const ctx = await responderContext(dhcpConfig(labDhcp));
    const bad = await respond(request({ type: MessageType.Request, mac: UNKNOWN, options: { [Opt.ServerId]: Buffer.from([1, 2]), [Opt.RequestedIp]: Buffer.from([1]) } }), dhcp, ctx.context());
    expect(bad.reply).toBeNull();
    const noMac = request({ type: MessageType.Discover, mac: UNKNOWN });
    noMac.hlen = 0;
    expect((await respond(noMac, dhcp, ctx.context())).reply).toBeNull();
  });

  it('answers a full pool with silence and a count, quickly', async () => {
    const ctx = await responderContext(dhcpConfig({ ...labDhcp, ranges: [{ start: '10.202.5.100', end: '10.202.5.102' }] }));
    for (let i = 0; i < 3; i++) expect((await respond(request({ type: MessageType.Discover, mac: `02:00:00:01:00:0${i}` }), dhcp, ctx.context())).reply).not.toBeNull();
    const full = await respond(request({ type: MessageType.Discover, mac: '02:00:00:01:00:09' }), dhcp, ctx.context());
    expect(full.reply).toBeNull();
    expect(full.reason).toBe('pool full in 10.202.5.0/24');
    expect(ctx.leases.poolExhausted).toBe(1);
  });

  it('allocates across a /16 without scanning it: 20,000 leases, then a full pool answers at once', async () => {
    // 20,000 addresses; the server's own (10.202.5.1) is inside the range and never handed out.
    const config = dhcpConfig({ mode: 'full', subnet: '10.202.0.0/16', ranges: [{ start: '10.202.0.10', end: '10.202.78.42' }] });
    const store = openSqliteStore(':memory:');
    const ctx = await responderContext(config, store.leases);
    const started = performance.now();
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const mac = `02:10:00:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
      const outcome = await respond(request({ type: MessageType.Discover, mac }), dhcp, ctx.context());
      seen.add(outcome.reply!.packet.yiaddr);
    }
    expect(seen.size).toBe(20_000);
    expect(seen.has('10.202.5.1')).toBe(false);
    // Generous bound for a shared 2-core machine; a scan per request would be far slower (20,000² checks).
    expect(performance.now() - started).toBeLessThan(30_000);
    const full = await respond(request({ type: MessageType.Discover, mac: '02:20:00:00:00:01' }), dhcp, ctx.context());
    expect(full.reply).toBeNull();
    await store.close();
  });

  it('restarted with a nearly full pool whose free addresses lie past the first 4,096: the first new client is offered one', async () => {
    // 8,182 addresses, 8,000 of them bound in the store; the free ones are the top 182.
    const config = dhcpConfig({ mode: 'full', subnet: '10.203.0.0/16', ranges: [{ start: '10.203.0.10', end: '10.203.31.255' }] }, '10.203.0.1');
    const store = openSqliteStore(':memory:');
    const start = 1_700_000_000_000;
    const base = ipToInt('10.203.0.10');
    const hex = (i: number) => [(i >> 16) & 255, (i >> 8) & 255, i & 255].map((b) => b.toString(16).padStart(2, '0')).join(':');
    await Promise.all(
      Array.from({ length: 8_000 }, (_, i) => store.leases.claimLease({ mac: `02:30:00:${hex(i)}`, ip: intToIp(base + i), state: 'bound', expiresAt: start + 3_600_000, updatedAt: start }, start)),
    );
    const ctx = await responderContext(config, store.leases, start);
    const outcome = await respond(request({ type: MessageType.Discover, mac: '02:31:00:00:00:01' }), dhcp, ctx.context());
    expect(outcome.reason).toBe('pool');
    expect(outcome.reply?.packet.yiaddr).toBe(intToIp(base + 8_000));
    await store.close();
  });

  it('proxy mode answers the port 4011 REQUEST with an ACK back to the sender, mirroring option 97', async () => {
    const ctx = await responderContext(dhcpConfig({ mode: 'proxy' }));
    const uuid = Buffer.concat([Buffer.from([0]), Buffer.alloc(16, 7)]);
    const outcome = await respond(request({ type: MessageType.Request, mac: UNKNOWN, ciaddr: '192.168.9.50', options: { ...clientKinds['EFI PXE (93 = 7)'], [Opt.ClientUuid]: uuid } }), { address: '192.168.9.50', port: 4011, via: 'proxy' }, ctx.context());
    expect(outcome.reply!.packet.type).toBe(MessageType.Ack);
    expect(outcome.reply!.address).toBe('192.168.9.50');
    expect(outcome.reply!.port).toBe(4011);
    expect(outcome.reply!.packet.options.get(Opt.ClientUuid)).toEqual(uuid);
    expect(outcome.reply!.packet.file).toBe('grubnetx64.efi');
    expect(outcome.reply!.packet.yiaddr).toBe('0.0.0.0');
    const onPort67 = await respond(request({ type: MessageType.Request, mac: UNKNOWN, options: clientKinds['EFI PXE (93 = 7)'] }), dhcp, ctx.context());
    expect(onPort67.reply).toBeNull();
  });
});
