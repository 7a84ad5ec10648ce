/**
 * DHCP benchmark: ISC perfdhcp (Debian kea-admin) against xenboot (SQLite, `store.durability` process
 * and power), ISC Kea (Debian kea-dhcp4-server: memfile with `persist: true`, single-threaded: each lease
 * line is written before its ACK, without fsync, the same class as `durability: process`) and dnsmasq
 * (with its lease file, and with `leasefile-ro`, i.e. no persistence), each in its own pair of network
 * namespaces, the same pool, in the same run, at rising target rates. Every server starts fresh for every
 * rate.
 *
 *   sudo npx tsx bench/dhcp/run.ts [seconds-per-rate] [rate,rate,…] [server,server,…] [--baseline DIR] [--warmup S]
 *
 * Servers: xenboot, xenboot-power, xenboot-dgram, kea, dnsmasq, dnsmasq-ro (default: all but
 * xenboot-dgram), and xenboot-baseline with `--baseline DIR`: the build of another checkout (an earlier
 * commit with its node_modules and native addon), run in the same rounds to measure a change before and
 * after. xenboot-dgram is xenboot with `dhcp.engine: dgram` (node:dgram instead of the native IP_PKTINFO
 * socket, and so no overload shedding). Every xenboot runs as one esbuild bundle (plain JavaScript, as
 * after `npm run build`) with its checkout's `npm start` Node options. Prints one line per (server, rate) and a table of 4-way exchanges per second,
 * drops, delays and the ratio of xenboot (durability process) to each, with the CPU of the server's
 * process and of perfdhcp per completed exchange (bench/dhcp/cpu.ts); XENBOOT_BENCH_CPU_PROF=DIR runs each
 * xenboot under `node --cpu-prof` and leaves its V8 profile in DIR.
 *
 * `--warmup S`: before each measured run, perfdhcp drives the freshly started server for S seconds at
 * the same rate (other MACs, not counted), so the figures are of a server that has been running (for
 * xenboot, with its hot path compiled by V8's optimising compiler), not of its first seconds. Without it
 * (the default, as before) each run starts cold. The pool (a /14, 261,883 addresses) holds 10,000/s for
 * 26 s in all. Needs root; only addresses in 10.200.0.0/14 inside the namespaces it creates are used.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ipToInt } from '../../src/net/ipv4.js';
import { connect, Namespace } from '../../lab/netns.js';
import { requireCommands, type RunningProcess } from '../../lab/process.js';
import { repoRoot, serviceNodeOptions, startXenboot, writeTempConfig } from '../../lab/xenboot.js';
import { buildXenboot } from '../tftp/servers.js';
import { cpuBetween, cpuSnapshot, timedCommand, timedCpu } from './cpu.js';
import { exitOnHelp } from '../usage.js';

exitOnHelp(import.meta.url);

/** The value of `--name VALUE`, and the arguments without every such pair. */
function takeFlag(args: string[], name: string): [string | undefined, string[]] {
  const at = args.indexOf(name);
  return at === -1 ? [undefined, args] : [args[at + 1], args.filter((_, i) => i !== at && i !== at + 1)];
}
const [baselineDir, withoutBaseline] = takeFlag(process.argv.slice(2), '--baseline');
const [warmupText, positional] = takeFlag(withoutBaseline, '--warmup');
const warmupSeconds = Number(warmupText ?? 0);
if (!(warmupSeconds >= 0)) throw new Error(`--warmup needs a number of seconds, not ${warmupText}`);
const seconds = Number(positional[0] ?? 10);
const rates = (positional[1] ?? '1000,2500,5000,7500,10000').split(',').map(Number);
const SUBNET = '10.200.0.0/14';
const NETMASK = '255.252.0.0';
const SERVER = '10.200.0.1';
const CLIENT = '10.200.0.2';
const POOL = { start: '10.200.1.0', end: '10.203.255.250' };

/** The servers compared, and what each keeps across a restart. */
const allServers = [
  { key: 'xenboot', name: 'xenboot (SQLite, durability process)', persists: 'kill -9' },
  { key: 'xenboot-power', name: 'xenboot (SQLite, durability power)', persists: 'power cut' },
  { key: 'xenboot-dgram', name: 'xenboot (node:dgram engine)', persists: 'kill -9' },
  { key: 'xenboot-baseline', name: 'xenboot baseline (--baseline build)', persists: 'kill -9' },
  { key: 'kea', name: 'Kea (memfile, persist)', persists: 'kill -9' },
  { key: 'dnsmasq', name: 'dnsmasq (lease file)', persists: 'kill -9' },
  { key: 'dnsmasq-ro', name: 'dnsmasq (leasefile-ro)', persists: 'no' },
] as const;
type ServerKey = (typeof allServers)[number]['key'];
const defaults = allServers.map((s) => s.key).filter((k) => k !== 'xenboot-dgram' && (k !== 'xenboot-baseline' || baselineDir !== undefined));
const chosen = positional[2]?.split(',') ?? defaults;
if (chosen.includes('xenboot-baseline') && baselineDir === undefined) throw new Error('xenboot-baseline needs --baseline DIR');
const servers = allServers.filter((s) => chosen.includes(s.key));

interface PerfResult {
  server: string;
  target: number;
  exchanges: number;
  discoverDrops: number;
  requestDrops: number;
  offerDelayMs: number;
  ackDelayMs: number;
  /** CPU per completed exchange (µs): the server's process, perfdhcp's, the whole machine's; and the share of all cores busy. */
  serverUs?: number;
  perfdhcpUs?: number;
  machineUs?: number;
  machineBusy?: number;
}

function number(text: string, pattern: RegExp): number {
  const match = pattern.exec(text);
  return match ? Number(match[1]) : NaN;
}

/** Parses perfdhcp's final report. */
function parsePerf(server: string, target: number, output: string): PerfResult {
  const [, discover = '', request = ''] = output.split(/\*\*\*Statistics for: /);
  return {
    server,
    target,
    exchanges: number(output, /Rate: ([\d.]+) 4-way exchanges\/second/),
    discoverDrops: number(discover, /drops ratio: ([\d.]+) %/),
    requestDrops: number(request, /drops ratio: ([\d.]+) %/),
    offerDelayMs: number(discover, /avg delay: ([\d.]+) ms/),
    ackDelayMs: number(request, /avg delay: ([\d.]+) ms/),
  };
}

/** The bundles xenboot runs from: this checkout's, and the baseline's. */
const bundles: { current?: string; baseline?: string } = {};

async function startServer(key: ServerKey, ns: Namespace, ifName: string, dir: string): Promise<RunningProcess> {
  if (key.startsWith('xenboot')) {
    const dhcp: Record<string, unknown> = { mode: 'full', subnet: SUBNET, ranges: [POOL], router: SERVER, leaseTime: 3600 };
    if (key === 'xenboot-dgram') dhcp.engine = 'dgram';
    const config = writeTempConfig(
      {
        server: { address: SERVER },
        log: { level: 'info', format: 'json' },
        http: { enabled: false },
        tftp: { enabled: false },
        store: { kind: 'sqlite', path: join(dir, 'xenboot.db'), durability: key === 'xenboot-power' ? 'power' : 'process' },
        dhcp,
      },
      dir,
    );
    const bundle = key === 'xenboot-baseline' ? (bundles.baseline ??= await buildXenboot(baselineDir)) : (bundles.current ??= await buildXenboot());
    // The bundle runs with its checkout's `npm start` Node options, as the service does.
    const nodeOptions = serviceNodeOptions(key === 'xenboot-baseline' ? baselineDir : repoRoot);
    // XENBOOT_BENCH_CPU_PROF=DIR: each xenboot writes a V8 CPU profile there when it stops (node --cpu-prof).
    const profile = process.env.XENBOOT_BENCH_CPU_PROF;
    if (profile === undefined) return startXenboot(config, ns, 60_000, {}, bundle, nodeOptions);
    const proc = ns.spawn(process.execPath, [...nodeOptions, '--cpu-prof', `--cpu-prof-dir=${profile}`, bundle, 'serve', '--config', config], { env: { ...process.env, NODE_NO_WARNINGS: '1' } });
    await proc.waitFor(/xenboot started/, 60_000);
    return proc;
  }
  if (key === 'kea') {
    const config = join(dir, 'kea-dhcp4.json');
    writeFileSync(
      config,
      JSON.stringify({
        Dhcp4: {
          'interfaces-config': { interfaces: [ifName], 'dhcp-socket-type': 'raw' },
          'lease-database': { type: 'memfile', persist: true, name: join(dir, 'kea-leases4.csv'), 'lfc-interval': 0 },
          'multi-threading': { 'enable-multi-threading': false },
          'valid-lifetime': 3600,
          authoritative: true,
          subnet4: [{ id: 1, subnet: SUBNET, pools: [{ pool: `${POOL.start} - ${POOL.end}` }], 'option-data': [{ name: 'routers', data: SERVER }] }],
          // INFO for the start-up line waited for below; per-lease and per-packet loggers stay quiet.
          loggers: [
            { name: 'kea-dhcp4', output_options: [{ output: 'stdout' }], severity: 'INFO' },
            ...['leases', 'packets', 'ddns', 'alloc-engine', 'bad-packets', 'options', 'hooks'].map((sub) => ({ name: `kea-dhcp4.${sub}`, output_options: [{ output: 'stdout' }], severity: 'WARN' })),
          ],
        },
      }),
    );
    const proc = ns.spawn('kea-dhcp4', ['-c', config], { env: { ...process.env, KEA_LOCKFILE_DIR: dir, KEA_PIDFILE_DIR: dir } });
    await proc.waitFor(/DHCP4_STARTED/, 30_000);
    return proc;
  }
  const args = [
    '--keep-in-foreground', '--log-facility=-', '--quiet-dhcp', '--no-resolv', '--no-hosts', '--port=0', '--no-ping',
    `--interface=${ifName}`, '--bind-interfaces', '--dhcp-authoritative', '--dhcp-lease-max=200000', '--dhcp-broadcast',
    `--dhcp-range=${POOL.start},${POOL.end},${NETMASK},1h`, `--dhcp-option=3,${SERVER}`,
    `--dhcp-leasefile=${join(dir, 'dnsmasq.leases')}`, `--pid-file=${join(dir, 'dnsmasq.pid')}`,
  ];
  if (key === 'dnsmasq-ro') args.push('--leasefile-ro');
  const proc = ns.spawn('dnsmasq', args);
  await new Promise((r) => setTimeout(r, 1_000));
  return proc;
}

/** perfdhcp's arguments for `seconds` of DORA at `rate`/s from new MACs counted up from `macBase`. */
function perfdhcpArgs(clientIf: string, rate: number, seconds: number, macBase: string): string[] {
  return ['-4', '-l', clientIf, '-r', String(rate), '-p', String(seconds), '-R', '1000000', '-b', `mac=${macBase}`];
}

async function runOne(key: ServerKey, name: string, rate: number): Promise<PerfResult> {
  const server = await Namespace.create('xbd');
  const client = await Namespace.create('xbd');
  let proc: RunningProcess | undefined;
  try {
    const [serverIf, clientIf] = await connect(server, `${SERVER}/14`, client, `${CLIENT}/14`);
    const dir = mkdtempSync(join(tmpdir(), 'xenboot-bench-dhcp-'));
    proc = await startServer(key, server, serverIf, dir);
    if (warmupSeconds > 0) {
      const warmup = await client.exec('perfdhcp', perfdhcpArgs(clientIf, rate, warmupSeconds, '00:0d:01:00:00:00'), { timeoutMs: (warmupSeconds + 30) * 1000 });
      if (warmup.code !== 0 && !/Rate:/.test(warmup.stdout)) throw new Error(`the warm-up perfdhcp failed (${warmup.code}): ${warmup.stderr.slice(-1000)}`);
    }
    const before = cpuSnapshot();
    const perf = await client.exec(...timedCommand('perfdhcp', perfdhcpArgs(clientIf, rate, seconds, '00:0c:01:00:00:00')), { timeoutMs: (seconds + 30) * 1000 });
    const use = cpuBetween(before, cpuSnapshot(), { server: { pids: [proc.pid] } });
    const result = parsePerf(name, rate, perf.stdout + perf.stderr);
    const exchanges = Math.max(1, result.exchanges * seconds);
    result.serverUs = Math.round((use.groups.server! * 1e6) / exchanges);
    result.perfdhcpUs = Math.round((timedCpu(perf.stderr) * 1e6) / exchanges);
    result.machineUs = Math.round((use.busySeconds * 1e6) / exchanges);
    result.machineBusy = Number((use.busySeconds / Math.max(0.01, use.coreSeconds)).toFixed(2));
    if (!(result.exchanges > 0)) console.error(`${name} answered nothing at ${rate}/s; its output:\n${proc.output().slice(-3000)}`);
    return result;
  } finally {
    await proc?.stop('SIGTERM', 3_000);
    await client.delete();
    await server.delete();
  }
}

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

async function main(): Promise<void> {
  // perfdhcp's exchanges are counted only while the pool lasts: warn when a rate would exhaust it.
  const poolSize = ipToInt(POOL.end) - ipToInt(POOL.start) + 1;
  for (const rate of rates) {
    const needed = rate * (seconds + warmupSeconds);
    const counted = Math.floor((poolSize - rate * warmupSeconds) / seconds);
    if (needed > poolSize) console.warn(`${rate}/s for ${warmupSeconds} + ${seconds} s needs ${needed} addresses, the pool has ${poolSize}: at most ${Math.max(0, counted)} exchanges/s will be counted`);
  }
  await requireCommands('ip', 'perfdhcp', ...(chosen.some((k) => k.startsWith('dnsmasq')) ? ['dnsmasq'] : []), ...(chosen.includes('kea') ? ['kea-dhcp4'] : []));
  // One step per position in the rate list (a rate may come back: 5000,10000,5000,…), every server in each.
  const steps: PerfResult[][] = [];
  for (const rate of rates) {
    const step: PerfResult[] = [];
    for (const { key, name } of servers) {
      const result = await runOne(key, name, rate);
      step.push(result);
      console.log(JSON.stringify({ ...result, load: loadAverage() }));
    }
    steps.push(step);
  }
  const persists = (s: string) => servers.find((x) => x.name === s)!.persists;
  console.log(`\n| step | target/s | server | leases survive | exchanges/s | DISCOVER drops | REQUEST drops | OFFER delay ms | ACK delay ms | server CPU µs/exchange | perfdhcp µs/exchange | machine µs/exchange (busy) | xenboot ÷ this |`);
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  steps.forEach((row, i) => {
    const xenboot = row.find((r) => r.server === allServers[0].name);
    for (const r of row) {
      const ratio = xenboot === undefined || r === xenboot ? '' : (xenboot.exchanges / r.exchanges).toFixed(2);
      console.log(`| ${i + 1} | ${r.target} | ${r.server} | ${persists(r.server)} | ${r.exchanges.toFixed(0)} | ${r.discoverDrops.toFixed(2)} % | ${r.requestDrops.toFixed(2)} % | ${r.offerDelayMs.toFixed(2)} | ${r.ackDelayMs.toFixed(2)} | ${r.serverUs} | ${r.perfdhcpUs} | ${r.machineUs} (${((r.machineBusy ?? 0) * 100).toFixed(0)} %) | ${ratio} |`);
    }
  });
  console.log(`\nload average at the end: ${loadAverage()}`);
}

await main();
