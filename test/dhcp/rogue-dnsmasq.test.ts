/**
 * Rogue DHCP detection against real servers: xenboot, two dnsmasq servers and a busybox udhcpc client on
 * one bridge in network namespaces (prefix `xrg`, 10.207.0.0/24). dnsmasq at .2 is the rogue; dnsmasq at
 * .3 is listed in `allowedServers`. xenboot watches the client port and probes every 5 s. The test checks
 * what an operator would: the live event stream, `/metrics` and `GET /api/v1/dhcp/rogue-servers` name .2
 * (and never .3); the client still gets a lease; the probe MAC never holds a lease anywhere.
 * Needs root, dnsmasq and busybox.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachToBridge, createBridge, Namespace } from '../../lab/netns.js';
import { requireCommands, type RunningProcess } from '../../lab/process.js';
import { startXenboot, writeTempConfig } from '../../lab/xenboot.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { RogueServersAnswer } from '../../src/http/routes/rogue-servers.js';
import type { BootEvent } from '../../src/timeline/types.js';
import { envScript, lastEnv } from './lab.js';

const XENBOOT = '10.207.0.1';
const ROGUE = '10.207.0.2';
const ALLOWED = '10.207.0.3';
const PROBE_MAC = '02:78:62:00:07:01';
const CLIENT_MAC = '02:00:00:07:00:10';
const TOKEN = 'rogue-detection-test-token';

describe('rogue DHCP detection with dnsmasq in network namespaces', () => {
  const namespaces: Namespace[] = [];
  let hub: Namespace;
  let client: Namespace;
  let clientIf: string;
  let dir: string;
  let xenboot: RunningProcess;
  let stream: RunningProcess;
  const dnsmasq: Record<string, RunningProcess> = {};

  const curl = async (path: string): Promise<string> => {
    const result = await hub.exec('curl', ['-sS', '--max-time', '5', '-H', `Authorization: Bearer ${TOKEN}`, `http://${XENBOOT}:8080${path}`], { timeoutMs: 10_000 });
    if (result.code !== 0) throw new Error(`curl ${path}: ${result.stderr}`);
    return result.stdout;
  };
  const rogueServers = async () => JSON.parse(await curl('/api/v1/dhcp/rogue-servers')) as RogueServersAnswer;
  /** Polls the API until `done` holds (bounded: `tries` × 250 ms). */
  const waitForServers = async (done: (a: RogueServersAnswer) => boolean, tries = 40): Promise<RogueServersAnswer> => {
    let answer = await rogueServers();
    for (let i = 0; i < tries && !done(answer); i++) {
      await new Promise((r) => setTimeout(r, 250));
      answer = await rogueServers();
    }
    return answer;
  };

  beforeAll(async () => {
    await requireCommands('ip', 'dnsmasq', 'busybox', 'curl');
    dir = mkdtempSync(join(tmpdir(), 'xenboot-rogue-'));
    // The hub holds the bridge and xenboot; every other machine has its own namespace on the bridge.
    hub = await Namespace.create('xrg');
    namespaces.push(hub);
    const bridge = await createBridge(hub, `${XENBOOT}/24`);
    const startDnsmasq = async (name: string, address: string, first: number, last: number) => {
      const ns = await Namespace.create('xrg');
      namespaces.push(ns);
      const ifName = await attachToBridge(hub, bridge, ns, `${address}/24`);
      const proc = ns.spawn('dnsmasq', [
        '--no-daemon',
        '--conf-file=/dev/null',
        '--port=0',
        `--interface=${ifName}`,
        '--bind-interfaces',
        `--dhcp-range=10.207.0.${first},10.207.0.${last},255.255.255.0,1h`,
        `--dhcp-leasefile=${join(dir, `${name}.leases`)}`,
        '--pid-file=',
        `--dhcp-boot=${name}.0`,
        '--log-facility=-',
        '--log-dhcp',
      ]);
      await proc.waitFor(/started, version/, 15_000);
      dnsmasq[name] = proc;
    };
    await startDnsmasq('rogue', ROGUE, 100, 150);
    await startDnsmasq('allowed', ALLOWED, 200, 210);
    client = await Namespace.create('xrg');
    namespaces.push(client);
    clientIf = await attachToBridge(hub, bridge, client, null);
    await client.ip('link', 'set', clientIf, 'down');
    await client.ip('link', 'set', clientIf, 'address', CLIENT_MAC);
    await client.ip('link', 'set', clientIf, 'up');

  }, 60_000);

  /** Starts xenboot with `passive` and the probe every 5 s, and follows its live event stream from the start. */
  const startWith = async (passive: 'server-port' | 'client-port') => {
    const runDir = mkdtempSync(join(dir, `${passive}-`));
    const config = writeTempConfig(
      {
        server: { address: XENBOOT },
        log: { level: 'info', format: 'json' },
        http: { enabled: true, address: XENBOOT, port: 8080, token: TOKEN, readAccess: 'token' },
        tftp: { enabled: false },
        store: { kind: 'sqlite', path: join(runDir, 'xenboot.db') },
        dhcp: {
          mode: 'full',
          subnet: '10.207.0.0/24',
          ranges: [{ start: '10.207.0.50', end: '10.207.0.60' }],
          rogueDetection: { passive, active: true, intervalSeconds: 5, probeMac: PROBE_MAC, allowedServers: [ALLOWED] },
        },
      },
      runDir,
    );
    xenboot = await startXenboot(config, hub);
    // The live event stream, as a dashboard would follow it, opened before the first probe goes out (1 s).
    stream = hub.spawn('curl', ['-sSN', '--max-time', '60', '-H', `Authorization: Bearer ${TOKEN}`, `http://${XENBOOT}:8080/api/v1/events/stream`]);
    return runDir;
  };
  let runDir: string;

  afterAll(async () => {
    await stream?.stop('SIGTERM', 2_000);
    await xenboot?.stop('SIGTERM', 3_000);
    for (const ns of namespaces.reverse()) await ns.delete();
  });

  it('the probe alone (no port-68 socket) finds the rogue dnsmasq by its server identifier, and not the allowed one', async () => {
    await startWith('server-port');
    const answer = await waitForServers((a) => a.servers.some((s) => s.serverId === ROGUE && s.via.includes('probe')));
    // Without the client port, the OFFERs can only have come back to port 67: the relay form works.
    expect(answer.detection).toMatchObject({ enabled: true, active: true, passive: 'server-port', clientPort: 'off', probeMac: PROBE_MAC, allowedServers: [ALLOWED] });
    expect(answer.detection.probesSent).toBeGreaterThanOrEqual(1);
    const rogue = answer.servers.find((s) => s.serverId === ROGUE);
    expect(rogue).toMatchObject({ serverId: ROGUE, sourceIps: [ROGUE], lastMessageType: 'OFFER', bootFile: 'rogue.0' });
    expect(Number(rogue!.lastOffered!.split('.')[3])).toBeGreaterThanOrEqual(100);
    // The allowed server answered the same probe (its log says so) and is not reported.
    await dnsmasq.allowed!.waitFor(new RegExp(`DHCPOFFER\\S* 10\\.207\\.0\\.2\\d\\d ${PROBE_MAC}`), 10_000);
    expect(answer.servers.map((s) => s.serverId)).toEqual([ROGUE]);
    expect(rogue!.via).toEqual(['probe']);
    await stream.stop('SIGTERM', 2_000);
    await xenboot.stop('SIGTERM', 3_000);
  });

  it('a real client (udhcpc) still gets its lease; its broadcast OFFERs are seen on the client port', async () => {
    runDir = await startWith('client-port');
    expect((await waitForServers((a) => a.servers.length > 0)).detection).toMatchObject({ passive: 'client-port', clientPort: 'bound' });
    const { script, file } = envScript(dir, 'udhcpc');
    // -B asks for broadcast replies, as many PXE ROMs do: every server's OFFER then reaches port 68.
    const result = await client.exec('busybox', ['udhcpc', '-f', '-q', '-n', '-B', '-i', clientIf, '-s', script, '-t', '4', '-T', '2', '-A', '1'], { timeoutMs: 30_000 });
    expect(result.code, result.stderr + result.stdout).toBe(0);
    const env = lastEnv(existsSync(file) ? readFileSync(file, 'utf8') : '', /EVENT=bound/);
    // Whichever server answered first: the lease is from that server's pool and names it.
    const host = Number(env.ip?.split('.')[3]);
    const owner = host >= 200 ? ALLOWED : host >= 100 ? ROGUE : XENBOOT;
    expect(env.ip).toMatch(/^10\.207\.0\.\d+$/);
    expect(env.serverid).toBe(owner);
    expect(result.stderr + result.stdout).toMatch(new RegExp(`lease of ${env.ip!.replace(/\./g, '\\.')} obtained from ${owner.replace(/\./g, '\\.')}`));

    const answer = await waitForServers((a) => a.servers.some((s) => s.serverId === ROGUE && s.via.includes('client-port')));
    const rogue = answer.servers.find((s) => s.serverId === ROGUE)!;
    expect(rogue.via).toEqual(expect.arrayContaining(['probe', 'client-port']));
    expect(answer.servers.map((s) => s.serverId)).toEqual([ROGUE]);
  });

  it('the event stream, the stored timeline, /metrics and the log name the rogue server only', async () => {
    const events = () =>
      stream
        .output()
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => JSON.parse(l.slice(6)) as BootEvent)
        .filter((e) => e.kind === 'dhcp-rogue');
    // Bounded at 15 s: on a loaded machine the stream's first event can take several seconds to arrive.
    for (let i = 0; i < 60 && events().length === 0; i++) await new Promise((r) => setTimeout(r, 250));
    const live = events();
    expect(live.length).toBeGreaterThanOrEqual(1);
    expect(live[0]).toMatchObject({ kind: 'dhcp-rogue', serverId: ROGUE, sourceIp: ROGUE, firstSeen: true, via: 'probe', messageType: 'OFFER', clientMac: PROBE_MAC });
    expect(live.every((e) => e.kind === 'dhcp-rogue' && e.serverId === ROGUE)).toBe(true);
    // Reported once, not per packet: several probes answered (5 s apart) and a client served, one event.
    expect(live.filter((e) => e.kind === 'dhcp-rogue' && e.firstSeen)).toHaveLength(1);

    const store = openSqliteStore(join(runDir, 'xenboot.db'));
    try {
      const all = await store.events.listEvents({ since: 0, limit: 1000 });
      const stored = all.filter((e) => e.kind === 'dhcp-rogue');
      expect(stored.map((e) => e.kind === 'dhcp-rogue' && e.serverId)).toEqual([ROGUE]);
      // xenboot's responder never saw its own probe (it would have offered it an address and logged an exchange).
      expect(all.filter((e) => e.mac === PROBE_MAC)).toEqual([]);
      // The probe never holds a lease of xenboot's either.
      expect((await store.leases.listLeases()).filter((l) => l.mac === PROBE_MAC)).toEqual([]);
    } finally {
      await store.close();
    }

    const metrics = await curl('/metrics');
    expect(metrics).toMatch(/^xenboot_dhcp_rogue_servers 1$/m);
    const sightings = new RegExp(`^xenboot_dhcp_rogue_sightings_total\\{server="${ROGUE.replace(/\./g, '\\.')}"\\} (\\d+)$`, 'm').exec(metrics);
    expect(Number(sightings?.[1])).toBeGreaterThanOrEqual(2);
    expect(metrics).toMatch(new RegExp(`^xenboot_dhcp_rogue_server_last_seen_seconds\\{server="${ROGUE.replace(/\./g, '\\.')}"\\} \\d+`, 'm'));
    expect(metrics).not.toContain(`server="${ALLOWED}"`);

    const warnings = xenboot.output().split('\n').filter((l) => l.includes('another DHCP server'));
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings.every((l) => l.includes(`"serverId":"${ROGUE}"`))).toBe(true);
  });

  it('the probe never took a lease: dnsmasq offered to the probe MAC, got no REQUEST from it, and holds no lease for it', async () => {
    const log = dnsmasq.rogue!.output();
    expect(log).toMatch(new RegExp(`DHCPDISCOVER\\S* ${PROBE_MAC}`));
    expect(log).toMatch(new RegExp(`DHCPOFFER\\S* 10\\.207\\.0\\.1\\d\\d ${PROBE_MAC}`));
    expect(log).not.toMatch(new RegExp(`DHCP(REQUEST|DECLINE|RELEASE)\\S* .*${PROBE_MAC}`));
    for (const name of ['rogue', 'allowed']) {
      const leases = join(dir, `${name}.leases`);
      const text = existsSync(leases) ? readFileSync(leases, 'utf8') : '';
      expect(text).not.toContain(PROBE_MAC);
    }
  });
});
