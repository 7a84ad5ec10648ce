/**
 * Several boot networks from one xenboot: a server namespace with two bridges, 10.209.0.0/24 (network A)
 * and 10.210.0.0/24 (network B, whose only port is an 802.1Q VLAN sub-interface, id 30), and one client
 * namespace on each (the B side tags its frames on a VLAN interface of its own). On a kernel without
 * 802.1Q (no `8021q`: `ip link add … type vlan` says "Unknown device type") network B's port is the plain
 * veth instead, and the VLAN case is reported as skipped (test/e2e/vlan-networks.slow.test.ts then runs
 * it under Debian's kernel in QEMU). Real busybox udhcpc and
 * ISC dhclient on each network must get that network's subnet, router and server address (siaddr and
 * option 54); TFTP and HTTP answer on both server addresses; a relayed request (giaddr in a relay subnet)
 * is still placed by giaddr and answered from the address the relay sent it to.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getIp, Opt } from '../../src/dhcp/options.js';
import { decodePacket, encodePacket, MessageType, Op } from '../../src/dhcp/packet.js';
import { attachToBridge, connect, createBridge, Namespace, uniqueName } from '../../lab/netns.js';
import { requireCommands, type RunningProcess } from '../../lab/process.js';
import { repoRoot, startXenboot, writeTempConfig } from '../../lab/xenboot.js';
import { envScript, lastEnv, parseExchanges } from './lab.js';

const A = { server: '10.209.0.1', router: '10.209.0.254', subnet: '10.209.0.0/24', range: /^10\.209\.0\.(1[0-4]\d)$/ };
const B = { server: '10.210.0.1', router: '10.210.0.254', subnet: '10.210.0.0/24', range: /^10\.210\.0\.(1[0-4]\d)$/ };
const RELAYED = { giaddr: '10.210.8.1', range: /^10\.210\.8\.(1[0-4]\d)$/ };

describe('several boot networks from one process', () => {
  const namespaces: Namespace[] = [];
  let server: Namespace;
  let clientA: Namespace;
  let clientB: Namespace;
  let ifA: string;
  let ifB: string;
  let bridgeB: string;
  let xenboot: RunningProcess;
  let dir: string;
  let httpPort: number;
  /** Why network B could not be built on a VLAN, or null when it was. */
  let noVlan: string | null = null;

  beforeAll(async () => {
    await requireCommands('ip', 'busybox', 'dhclient', 'curl');
    server = await Namespace.create('xmn');
    namespaces.push(server);
    clientA = await Namespace.create('xmn');
    namespaces.push(clientA);
    clientB = await Namespace.create('xmn');
    namespaces.push(clientB);
    // Network A: a bridge with the client's veth as its port.
    ifA = await attachToBridge(server, await createBridge(server, `${A.server}/24`), clientA, null);
    // Network B: a trunk veth; VLAN 30 on it is the bridge's port on the server side, the client's interface on the other.
    const [trunk, clientTrunk] = await connect(server, null, clientB, null);
    bridgeB = await createBridge(server, `${B.server}/24`);
    const vlan = uniqueName('vl');
    try {
      await server.ip('link', 'add', 'link', trunk, 'name', vlan, 'type', 'vlan', 'id', '30');
      ifB = uniqueName('vc');
      await clientB.ip('link', 'add', 'link', clientTrunk, 'name', ifB, 'type', 'vlan', 'id', '30');
      await server.ip('link', 'set', vlan, 'master', bridgeB);
      await server.ip('link', 'set', vlan, 'up');
      await clientB.ip('link', 'set', ifB, 'up');
    } catch (error) {
      if (!/Unknown device type/.test((error as Error).message)) throw error;
      noVlan = `this kernel has no 802.1Q support (${(error as Error).message.trim()})`;
      await server.ip('link', 'set', trunk, 'master', bridgeB);
      ifB = clientTrunk;
    }
    // The relay of the relayed case lives in client B's namespace at 10.210.8.1, reached through 10.210.0.9.
    await server.ip('route', 'add', '10.210.8.0/24', 'via', '10.210.0.9');

    dir = mkdtempSync(join(tmpdir(), 'xenboot-dhcp-networks-'));
    const config = writeTempConfig(
      {
        server: { address: A.server },
        log: { level: 'debug', format: 'json' },
        http: { port: 0, readAccess: 'open' },
        tftp: { port: 0, root: dir },
        store: { kind: 'sqlite', path: join(dir, 'xenboot.db') },
        dhcp: {
          mode: 'full',
          subnet: A.subnet,
          ranges: [{ start: '10.209.0.100', end: '10.209.0.149' }],
          router: A.router,
          networks: [{ interface: bridgeB, serverAddress: B.server, subnet: B.subnet, ranges: [{ start: '10.210.0.100', end: '10.210.0.149' }], router: B.router }],
          relaySubnets: [{ subnet: '10.210.8.0/24', ranges: [{ start: '10.210.8.100', end: '10.210.8.149' }], router: RELAYED.giaddr }],
        },
      },
      dir,
    );
    xenboot = await startXenboot(config, server);
    const listening = /"protocol":"http","address":"10\.209\.0\.1","port":(\d+)/.exec(xenboot.output());
    httpPort = Number(listening?.[1] ?? 0);
  }, 60_000);

  afterAll(async () => {
    await xenboot?.stop('SIGTERM', 5_000);
    for (const ns of namespaces.reverse()) await ns.delete();
  }, 60_000);

  const udhcpc = async (ns: Namespace, iface: string, name: string) => {
    const { script, file } = envScript(dir, name);
    const result = await ns.exec('busybox', ['udhcpc', '-f', '-q', '-n', '-i', iface, '-s', script, '-t', '4', '-T', '2', '-A', '1'], { timeoutMs: 40_000 });
    const text = readFileSync(file, { encoding: 'utf8', flag: 'a+' });
    return { output: result.stdout + result.stderr, env: lastEnv(text, /EVENT=bound/) };
  };

  const dhclient = async (ns: Namespace, iface: string, name: string, expected: RegExp) => {
    const { script, file } = envScript(dir, name);
    const process = ns.spawn('dhclient', ['-d', '-1', '-v', '-sf', script, '-pf', join(dir, `${name}.pid`), '-lf', join(dir, `${name}.leases`), iface]);
    try {
      await process.waitFor(expected, 40_000);
    } finally {
      await process.stop('SIGTERM', 3_000);
    }
    return { output: process.output(), env: lastEnv(readFileSync(file, 'utf8'), /reason=BOUND/) };
  };

  it('network B is carried by an 802.1Q VLAN sub-interface (id 30) on both sides', async (ctx) => {
    if (noVlan !== null) ctx.skip(noVlan);
    expect(await clientB.ip('-d', 'link', 'show', ifB)).toMatch(/vlan protocol 802\.1Q id 30/);
  });

  it('busybox udhcpc on network A gets an address of A, its router and server address', async () => {
    const { output, env } = await udhcpc(clientA, ifA, 'udhcpc-a');
    expect(output).toMatch(/obtained from 10\.209\.0\.1/);
    expect(env.ip).toMatch(A.range);
    expect(env).toMatchObject({ siaddr: A.server, serverid: A.server, router: A.router, subnet: '255.255.255.0' });
  });

  it('busybox udhcpc on network B (VLAN 30) gets an address of B, its router and server address', async () => {
    const { output, env } = await udhcpc(clientB, ifB, 'udhcpc-b');
    expect(output).toMatch(/obtained from 10\.210\.0\.1/);
    expect(env.ip).toMatch(B.range);
    expect(env).toMatchObject({ siaddr: B.server, serverid: B.server, router: B.router, subnet: '255.255.255.0' });
  });

  it('ISC dhclient on each network gets that network', async () => {
    const a = await dhclient(clientA, ifA, 'dhclient-a', /bound to 10\.209\.0\.\d+/);
    expect(a.output).toMatch(/DHCPACK of 10\.209\.0\.\d+ from 10\.209\.0\.1/);
    expect(a.env.new_ip_address).toMatch(A.range);
    expect(a.env).toMatchObject({ new_next_server: A.server, new_dhcp_server_identifier: A.server, new_routers: A.router });
    await clientA.ip('addr', 'flush', 'dev', ifA);
    const b = await dhclient(clientB, ifB, 'dhclient-b', /bound to 10\.210\.0\.\d+/);
    expect(b.output).toMatch(/DHCPACK of 10\.210\.0\.\d+ from 10\.210\.0\.1/);
    expect(b.env.new_ip_address).toMatch(B.range);
    expect(b.env).toMatchObject({ new_next_server: B.server, new_dhcp_server_identifier: B.server, new_routers: B.router });
    // Each exchange was logged against its own subnet: no address of one network went to the other.
    const acks = parseExchanges(xenboot.output()).filter((e) => e.reply === 'ACK');
    expect(acks.some((e) => A.range.test(e.yiaddr ?? ''))).toBe(true);
    expect(acks.some((e) => B.range.test(e.yiaddr ?? ''))).toBe(true);
  });

  it('a relayed DISCOVER is placed by giaddr and answered from the address the relay sent it to', async () => {
    await clientB.ip('addr', 'replace', '10.210.0.9/24', 'dev', ifB);
    await clientB.ip('addr', 'replace', `${RELAYED.giaddr}/24`, 'dev', ifB);
    const discover = encodePacket({
      op: Op.Request, htype: 1, hlen: 6, hops: 1, xid: 0x20921021, secs: 0, flags: 0,
      ciaddr: '0.0.0.0', yiaddr: '0.0.0.0', siaddr: '0.0.0.0', giaddr: RELAYED.giaddr,
      chaddr: Buffer.from('02000020a0b1', 'hex'), sname: '', file: '', type: MessageType.Discover, options: new Map(),
    });
    // The probe plays the relay: it listens on port 67, where replies to giaddr go.
    const result = await clientB.exec(process.execPath, ['--import', 'tsx', join(repoRoot, 'test', 'dhcp', 'probe.ts'), '67', B.server, '67', discover.toString('hex'), '2500'], { cwd: repoRoot, timeoutMs: 20_000 });
    const offer = result.stdout.split('\n').filter(Boolean).map((hex) => decodePacket(Buffer.from(hex, 'hex'))).find((p) => p.op === Op.Reply);
    expect(offer, result.stderr).toBeDefined();
    expect(offer!.type).toBe(MessageType.Offer);
    expect(offer!.yiaddr).toMatch(RELAYED.range);
    expect(offer!.giaddr).toBe(RELAYED.giaddr);
    expect(offer!.siaddr).toBe(B.server);
    expect(getIp(offer!.options, Opt.ServerId)).toBe(B.server);
    expect(getIp(offer!.options, Opt.Router)).toBe(RELAYED.giaddr);
  });

  it('TFTP and HTTP answer on both server addresses', async () => {
    const listening = xenboot.output();
    for (const address of [A.server, B.server]) {
      expect(listening).toMatch(new RegExp(`"protocol":"tftp","address":"${address.replace(/\./g, '\\.')}"`));
      const client = address === A.server ? clientA : clientB;
      const from = address === A.server ? ifA : ifB;
      if (address === A.server) await clientA.ip('addr', 'replace', '10.209.0.9/24', 'dev', from);
      const response = await client.exec('curl', ['-sS', '-m', '10', '-o', '/dev/null', '-w', '%{http_code}', `http://${address}:${httpPort}/healthz`], { timeoutMs: 20_000 });
      expect(response.stdout, response.stderr).toBe('200');
    }
  });
});
