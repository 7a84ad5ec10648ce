/**
 * Real DHCP clients (busybox udhcpc, ISC dhclient, dhcpcd) against `xenboot serve` in network namespaces.
 * Needs root and the Debian packages in .ci/debian-packages.txt.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getIp, Opt } from '../../src/dhcp/options.js';
import { decodePacket, MessageType } from '../../src/dhcp/packet.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { requireCommands } from '../../lab/process.js';
import { repoRoot } from '../../lab/xenboot.js';
import { envScript, lastEnv, startLab, type DhcpLab } from './lab.js';
import { readPcapDhcp, bootCaptures } from './pcap.js';

const RESERVED = '02:00:00:20:00:01';
const DECLINER = '02:00:00:20:00:de';

function inRange(ip: string | undefined): boolean {
  const m = /^10\.202\.20\.(\d+)$/.exec(ip ?? '');
  return m !== null && Number(m[1]) >= 100 && Number(m[1]) <= 120;
}

describe('real DHCP clients against xenboot in network namespaces', () => {
  let lab: DhcpLab;

  beforeAll(async () => {
    await requireCommands('ip', 'busybox', 'dhclient', 'dhcpcd');
    lab = await startLab('10.202.20.1/24', {
      server: { address: '10.202.20.1' },
      dhcp: {
        mode: 'full',
        subnet: '10.202.20.0/24',
        ranges: [{ start: '10.202.20.100', end: '10.202.20.120' }],
        router: '10.202.20.1',
        dns: ['10.202.20.53', '10.202.20.54'],
        domain: 'lab.test',
        reservations: [
          { mac: RESERVED, ip: '10.202.20.10', hostname: 'resv-host' },
          { mac: DECLINER, ip: '10.202.20.20' },
        ],
        rateLimit: { perSecond: 50, burst: 50 },
      },
    });
  });

  afterAll(async () => {
    await lab?.close();
  });

  const udhcpc = async (name: string, mac: string, extra: string[], configure = false) => {
    await lab.useMac(mac);
    const { script, file } = envScript(lab.dir, name, configure);
    const result = await lab.client.exec('busybox', ['udhcpc', '-f', '-q', '-n', '-i', lab.clientIf, '-s', script, '-t', '3', '-T', '2', '-A', '1', ...extra], { timeoutMs: 30_000 });
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    return { result, env: lastEnv(text, /EVENT=bound/), text };
  };

  it('busybox udhcpc with a reserved MAC gets its reservation, router, DNS, domain, hostname, siaddr and option 54', async () => {
    const { env, result } = await udhcpc('reserved', RESERVED, []);
    expect(result.stderr + result.stdout).toMatch(/lease of 10\.202\.20\.10 obtained from 10\.202\.20\.1/);
    expect(env).toMatchObject({ ip: '10.202.20.10', siaddr: '10.202.20.1', serverid: '10.202.20.1', router: '10.202.20.1', dns: '10.202.20.53 10.202.20.54', domain: 'lab.test', hostname: 'resv-host', subnet: '255.255.255.0', lease: '3600' });
  });

  it('busybox udhcpc as a BIOS PXE client (-V PXEClient, option 93 = 0) gets a dynamic address and pxelinux.0 in file and option 67', async () => {
    const { env } = await udhcpc('bios', '02:00:00:20:00:02', ['-V', 'PXEClient:Arch:00000:UNDI:002001', '-x', '0x5d:0000', '-O', '67']);
    expect(inRange(env.ip)).toBe(true);
    expect(env).toMatchObject({ siaddr: '10.202.20.1', serverid: '10.202.20.1', boot_file: 'pxelinux.0', bootfile: 'pxelinux.0' });
  });

  it.each([['7', '0007'], ['9', '0009']])('busybox udhcpc as an EFI x86-64 PXE client (option 93 = %s) gets grubnetx64.efi', async (code, hex) => {
    const { env } = await udhcpc(`efi${code}`, `02:00:00:20:00:0${code}`, ['-V', `PXEClient:Arch:0000${code}:UNDI:003000`, '-x', `0x5d:${hex}`, '-O', '67']);
    expect(inRange(env.ip)).toBe(true);
    expect(env).toMatchObject({ siaddr: '10.202.20.1', boot_file: 'grubnetx64.efi', bootfile: 'grubnetx64.efi' });
    // The client may be bound before the server's log line of that ACK has been read: wait for it (bounded).
    const ackOf = () => lab.exchanges().filter((e) => e.mac === `02:00:00:20:00:0${code}` && e.reply === 'ACK').at(-1);
    for (let i = 0; i < 50 && ackOf() === undefined; i++) await new Promise((r) => setTimeout(r, 100));
    const exchange = ackOf();
    expect(exchange).toMatchObject({ arch: Number(code), bootFile: 'grubnetx64.efi', yiaddr: env.ip });
  });

  it('ISC dhclient gets a dynamic address with router, DNS, next-server and file', async () => {
    await lab.useMac('02:00:00:20:00:0c');
    const { script, file } = envScript(lab.dir, 'dhclient');
    const pidFile = join(lab.dir, 'dhclient.pid');
    const leaseFile = join(lab.dir, 'dhclient.leases');
    // In the foreground (-d), so the test stops it by PID once it is bound.
    const dhclient = lab.client.spawn('dhclient', ['-d', '-1', '-v', '-sf', script, '-pf', pidFile, '-lf', leaseFile, lab.clientIf]);
    try {
      await dhclient.waitFor(/bound to 10\.202\.20\.\d+/, 30_000);
    } finally {
      await dhclient.stop('SIGTERM', 3_000);
    }
    const result = { stderr: dhclient.output() };
    expect(result.stderr).toMatch(/DHCPACK of 10\.202\.20\.\d+ from 10\.202\.20\.1/);
    const env = lastEnv(readFileSync(file, 'utf8'), /reason=BOUND/);
    expect(inRange(env.new_ip_address)).toBe(true);
    expect(env).toMatchObject({ new_next_server: '10.202.20.1', new_routers: '10.202.20.1', new_domain_name_servers: '10.202.20.53 10.202.20.54', new_dhcp_server_identifier: '10.202.20.1', new_filename: 'pxelinux.0', new_subnet_mask: '255.255.255.0' });
  });

  it('dhcpcd gets a dynamic address with router and DNS', async () => {
    await lab.useMac('02:00:00:20:00:0d');
    const { script, file } = envScript(lab.dir, 'dhcpcd');
    const result = await lab.client.exec('dhcpcd', ['-B', '-1', '-4', '--noipv4ll', '-f', '/dev/null', '-c', script, '-t', '20', lab.clientIf], { timeoutMs: 40_000, stdio: ['ignore', 'pipe', 'pipe'] });
    expect(result.stderr + result.stdout).toMatch(/leased 10\.202\.20\.\d+ for 3600 seconds/);
    const env = lastEnv(readFileSync(file, 'utf8'), /reason=BOUND/);
    expect(inRange(env.new_ip_address)).toBe(true);
    expect(env).toMatchObject({ new_routers: '10.202.20.1', new_dhcp_server_identifier: '10.202.20.1', new_filename: 'pxelinux.0' });
  });

  it('RELEASE (SIGUSR2 to a running udhcpc) frees the lease in the store', async () => {
    const mac = '02:00:00:20:00:0e';
    await lab.useMac(mac);
    const { script, file } = envScript(lab.dir, 'release', true);
    const client = lab.client.spawn('busybox', ['udhcpc', '-f', '-n', '-i', lab.clientIf, '-s', script, '-t', '3', '-T', '2']);
    try {
      await client.waitFor(/lease of 10\.202\.20\.\d+ obtained/, 20_000);
      process.kill(client.pid, 'SIGUSR2');
      await client.waitFor(/entering released state/, 10_000);
    } finally {
      await client.stop('SIGTERM', 3_000);
    }
    const env = lastEnv(readFileSync(file, 'utf8'), /EVENT=bound/);
    expect(inRange(env.ip)).toBe(true);
    // The release is a unicast; give the server a moment to log it (bounded).
    for (let i = 0; i < 20 && !lab.exchanges().some((e) => e.messageType === 'RELEASE' && e.mac === mac); i++) await new Promise((r) => setTimeout(r, 100));
    const released = lab.exchanges().find((e) => e.messageType === 'RELEASE' && e.mac === mac);
    expect(released).toMatchObject({ reply: null, reason: `released ${env.ip}` });
    const store = openSqliteStore(join(lab.dir, 'xenboot.db'));
    try {
      const lease = await store.leases.getLeaseByIp(env.ip!);
      expect(lease).toMatchObject({ mac, state: 'released' });
      expect(lease!.expiresAt).toBeLessThanOrEqual(Date.now());
    } finally {
      await store.close();
    }
  });

  it('DECLINE (udhcpc -a finds the address in use) quarantines it', async () => {
    // The server namespace answers ARP for the reserved address, so the client sees a conflict.
    await lab.server.ip('addr', 'add', '10.202.20.20/32', 'dev', lab.serverIf);
    const { result } = await udhcpc('decline', DECLINER, ['-a1000', '-t', '2']);
    expect(result.stderr + result.stdout).toMatch(/10\.202\.20\.20 is in use|declin/i);
    const declined = lab.exchanges().find((e) => e.messageType === 'DECLINE' && e.mac === DECLINER);
    expect(declined).toMatchObject({ reply: null, reason: 'quarantined 10.202.20.20' });
    // Quarantined even for the MAC it is reserved for: later DISCOVERs are not offered it.
    const after = lab.exchanges().filter((e) => e.messageType === 'DISCOVER' && e.mac === DECLINER).at(-1);
    expect(after).toMatchObject({ reply: null, reason: 'reserved address 10.202.20.20 is unavailable' });
    const store = openSqliteStore(join(lab.dir, 'xenboot.db'));
    try {
      expect(await store.leases.getLeaseByIp('10.202.20.20')).toMatchObject({ state: 'declined', mac: DECLINER });
    } finally {
      await store.close();
    }
  });

  it('answers the captured pypxeboot udhcpc 0.9.8 DISCOVER (flags 0, domU MAC) with a broadcast OFFER ≤ 548 bytes, siaddr and option 54', async () => {
    const captured = readPcapDhcp(join(bootCaptures, 'pypxeboot-udhcp-0.9.8.pcap')).find((d) => d.dstPort === 67)!;
    expect(decodePacket(captured.payload).flags).toBe(0);
    // dom0 sends from its own address with the domU's MAC in chaddr; the probe plays dom0.
    await lab.useMac('02:00:00:20:00:d0');
    await lab.client.ip('addr', 'add', '10.202.20.2/24', 'dev', lab.clientIf);
    await lab.client.ip('route', 'add', 'default', 'dev', lab.clientIf);
    const result = await lab.client.exec(process.execPath, ['--import', 'tsx', join(repoRoot, 'test', 'dhcp', 'probe.ts'), '68', '255.255.255.255', '67', captured.payload.toString('hex'), '2500'], { cwd: repoRoot, timeoutMs: 20_000 });
    // The probe only owns 10.202.20.2: an OFFER reaching it for another yiaddr was broadcast.
    const replies = result.stdout.split('\n').filter(Boolean).map((hex) => Buffer.from(hex, 'hex'));
    const offerBytes = replies.find((b) => decodePacket(b).op === 2)!;
    expect(offerBytes.length).toBeLessThanOrEqual(548);
    const offer = decodePacket(offerBytes);
    expect(offer.type).toBe(MessageType.Offer);
    expect(offer.chaddr.subarray(0, 6).toString('hex')).toBe('00163e112233');
    expect(inRange(offer.yiaddr)).toBe(true);
    expect(offer.siaddr).toBe('10.202.20.1');
    expect(getIp(offer.options, Opt.ServerId)).toBe('10.202.20.1');
  });
});
