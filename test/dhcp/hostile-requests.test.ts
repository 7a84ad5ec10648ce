/**
 * Requests a hostile neighbour sends to take addresses it has no right to (issue 17, items 4, 5, 11):
 * spoofed DECLINEs, INIT-REBOOT from clients xenboot has no record of, and reservations or hosts on the
 * server's own, the network or the broadcast address.
 */
import { describe, expect, it } from 'vitest';
import { ipBytes, Opt } from '../../src/dhcp/options.js';
import { MessageType } from '../../src/dhcp/packet.js';
import { respond } from '../../src/dhcp/responder.js';
import { createMemoryLeaseStore } from '../../lab/store/memory-leases.js';
import { dhcpConfig, labDhcp, labServerId, request, responderContext } from './requests.js';

const dhcp = { address: '0.0.0.0', port: 68, via: 'dhcp' as const };
const RESERVED_MAC = '02:00:00:00:aa:01';
const RESERVED_IP = '10.202.5.10';
const ATTACKER = '02:00:00:00:66:66';

type Ctx = Awaited<ReturnType<typeof responderContext>>;

async function bind(ctx: Ctx, mac: string): Promise<string> {
  const offer = await respond(request({ type: MessageType.Discover, mac }), dhcp, ctx.context());
  const ip = offer.reply!.packet.yiaddr;
  const ack = await respond(request({ type: MessageType.Request, mac, options: { [Opt.ServerId]: labServerId, [Opt.RequestedIp]: ipBytes(ip) } }), dhcp, ctx.context());
  expect(ack.reply!.packet.type).toBe(MessageType.Ack);
  return ip;
}

const decline = (mac: string, ip: string) =>
  request({ type: MessageType.Decline, mac, options: { [Opt.ServerId]: labServerId, [Opt.RequestedIp]: ipBytes(ip) } });

describe('DECLINE is accepted only from the client the address was offered to or is held by', () => {
  it('a spoofed DECLINE of a reserved address does not lock its host out', async () => {
    const ctx = await responderContext(dhcpConfig(labDhcp));
    const spoofed = await respond(decline(ATTACKER, RESERVED_IP), dhcp, ctx.context());
    expect(spoofed.reason).toMatch(/not offered to or held by this client/);
    expect(await ctx.store.getLeaseByIp(RESERVED_IP)).toBeNull();
    const offer = await respond(request({ type: MessageType.Discover, mac: RESERVED_MAC }), dhcp, ctx.context());
    expect(offer.reply!.packet.yiaddr).toBe(RESERVED_IP);
  });

  it('a spoofed DECLINE of another client’s lease, or of a free pool address, changes nothing', async () => {
    const ctx = await responderContext(dhcpConfig(labDhcp));
    const victim = '02:00:00:00:77:01';
    const ip = await bind(ctx, victim);
    await respond(decline(ATTACKER, ip), dhcp, ctx.context());
    expect(await ctx.store.getLeaseByIp(ip)).toMatchObject({ mac: victim, state: 'bound' });
    await respond(decline(ATTACKER, '10.202.5.109'), dhcp, ctx.context());
    expect(await ctx.store.getLeaseByIp('10.202.5.109')).toBeNull();
    expect(ctx.leases.isAvailable('10.202.5.109', victim, ctx.clock.now)).toBe(true);
  });

  it('the client that holds the address can still decline it (it found the address in use)', async () => {
    const ctx = await responderContext(dhcpConfig(labDhcp));
    const mac = '02:00:00:00:77:02';
    const ip = await bind(ctx, mac);
    const outcome = await respond(decline(mac, ip), dhcp, ctx.context());
    expect(outcome.reason).toBe(`quarantined ${ip}`);
    expect(await ctx.store.getLeaseByIp(ip)).toMatchObject({ state: 'declined' });
  });
});

describe('INIT-REBOOT and RENEWING from a client with no record here (RFC 2131 §4.3.2)', () => {
  it('stays silent, binds nothing, for 50 made-up clients', async () => {
    const ctx = await responderContext(dhcpConfig({ ...labDhcp, ranges: [{ start: '10.202.5.100', end: '10.202.5.199' }] }));
    for (let i = 0; i < 50; i++) {
      const mac = `02:00:00:01:00:${i.toString(16).padStart(2, '0')}`;
      const ip = `10.202.5.${100 + i}`;
      const reboot = await respond(request({ type: MessageType.Request, mac, options: { [Opt.RequestedIp]: ipBytes(ip) } }), dhcp, ctx.context());
      expect(reboot.reply).toBeNull();
      const renew = await respond(request({ type: MessageType.Request, mac, ciaddr: `10.202.5.${150 + i}` }), { address: ip, port: 68, via: 'dhcp' }, ctx.context());
      expect(renew.reply).toBeNull();
    }
    expect(await ctx.store.listLeases()).toEqual([]);
  });

  it('still NAKs an address on the wrong network, and still answers clients it knows', async () => {
    const ctx = await responderContext(dhcpConfig(labDhcp));
    const wrong = await respond(request({ type: MessageType.Request, mac: ATTACKER, options: { [Opt.RequestedIp]: ipBytes('192.168.1.5') } }), dhcp, ctx.context());
    expect(wrong.reply!.packet.type).toBe(MessageType.Nak);
    const reserved = await respond(request({ type: MessageType.Request, mac: RESERVED_MAC, options: { [Opt.RequestedIp]: ipBytes(RESERVED_IP) } }), dhcp, ctx.context());
    expect(reserved.reply!.packet.type).toBe(MessageType.Ack);
    const mac = '02:00:00:00:77:03';
    const ip = await bind(ctx, mac);
    const again = await respond(request({ type: MessageType.Request, mac, options: { [Opt.RequestedIp]: ipBytes(ip) } }), dhcp, ctx.context());
    expect(again.reply!.packet.type).toBe(MessageType.Ack);
  });
});

describe('the server’s own, the network and the broadcast address are never leased', () => {
  // The config check refuses these reservations; the DHCP server must refuse them on its own too (inventory
  // hosts reach it without that check), so the config is built past the check here.
  const valid = dhcpConfig({ ...labDhcp, router: '10.202.5.254' });
  const reservations = [
    { mac: '02:00:00:00:aa:11', ip: '10.202.5.1' },
    { mac: '02:00:00:00:aa:12', ip: '10.202.5.0' },
    { mac: '02:00:00:00:aa:13', ip: '10.202.5.255' },
  ];
  const config = { ...valid, dhcp: { ...valid.dhcp, reservations } };

  it('the config check names each such reservation', () => {
    expect(() => dhcpConfig({ ...labDhcp, reservations })).toThrow(/dhcp\.reservations\[0\]\.ip: 10\.202\.5\.1 is the server's own address/);
    expect(() => dhcpConfig({ ...labDhcp, reservations })).toThrow(/dhcp\.reservations\[1\]\.ip: 10\.202\.5\.0 is the network address of 10\.202\.5\.0\/24/);
    expect(() => dhcpConfig({ ...labDhcp, reservations })).toThrow(/dhcp\.reservations\[2\]\.ip: 10\.202\.5\.255 is the broadcast address of 10\.202\.5\.0\/24/);
  });

  it('a reservation of one of them gets no offer and no ACK', async () => {
    const ctx = await responderContext(config);
    for (const [mac, ip] of [['02:00:00:00:aa:11', '10.202.5.1'], ['02:00:00:00:aa:12', '10.202.5.0'], ['02:00:00:00:aa:13', '10.202.5.255']] as const) {
      const offer = await respond(request({ type: MessageType.Discover, mac }), dhcp, ctx.context());
      expect(offer.reply).toBeNull();
      const ack = await respond(request({ type: MessageType.Request, mac, options: { [Opt.RequestedIp]: ipBytes(ip) } }), dhcp, ctx.context());
      expect(ack.reply?.packet.type ?? null).not.toBe(MessageType.Ack);
    }
    expect(await ctx.store.listLeases()).toEqual([]);
  });
});
