/**
 * DHCP two-instance benchmark: ISC perfdhcp (Debian kea-admin) against two xenboot instances sharing one
 * PostgreSQL (`dhcp.ha`: each answers its RFC 3074 half) and against one instance on the same PostgreSQL,
 * in the same run, at the same target rates, on the same bridge; then the takeover: perfdhcp runs at one
 * rate against the pair, instance `a` is killed (`kill -9`) after `kill-after` seconds, and the time until
 * the first ACK from `b` to a client of `a`'s half is measured. Every reply reaching the client is captured
 * (tcpdump on perfdhcp's interface, in every scenario alike) and audited: no address may be acknowledged
 * to two MACs. Every scenario starts fresh (a new PostgreSQL schema, new processes); xenboot runs from its
 * esbuild bundle, with its `npm start` Node options and the default DHCP socket engine
 * (XENBOOT_BENCH_CPU_PROF=DIR: each instance leaves a V8 CPU profile in DIR).
 *
 *   sudo npx tsx bench/dhcp/ha.ts [seconds-per-rate] [rate,rate,…] [takeover-rate] [takeover-seconds] [kill-after]
 *
 * Defaults: 8 s per rate, rates 1000,2000,4000,8000, takeover at 500/s for 20 s with the kill after 6 s
 * (takeover-seconds 0: no takeover run). XENBOOT_BENCH_WARMUP=S: before each measured throughput run,
 * perfdhcp drives the fresh servers for S seconds at the same rate (other MACs; their ACKs are audited
 * too, not counted), so both scenarios are measured running rather than in their first seconds.
 * XENBOOT_BENCH_INSTANCE_CPU=C: each xenboot instance runs in a cgroup of its own limited to C cores
 * (lab/cpu-budget.ts), as if each had a machine of its own: the ratio then says what a second instance
 * adds, not how the machine's cores are shared between the instances, PostgreSQL and perfdhcp.
 * Needs root, perfdhcp, tcpdump and PostgreSQL (reached through /var/run/postgresql); only addresses in
 * 10.211.0.0/16 inside the namespaces it creates (prefix `xha`) are used. Prints one JSON line per run and
 * the tables for bench/README.md, among them the CPU per completed exchange of each instance, PostgreSQL,
 * perfdhcp and the whole machine (bench/dhcp/cpu.ts).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { bucketOfMac } from '../../src/dhcp/ha/load-balance.js';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import { addressesLeasedTwice, readWireReplies, type WireAck } from '../../lab/clients/dhcp-acks.js';
import { attachToBridge, createBridge, Namespace } from '../../lab/netns.js';
import { cpuBudgetsAvailable, limitCpu } from '../../lab/cpu-budget.js';
import { requireCommands, type RunningProcess } from '../../lab/process.js';
import { serviceNodeOptions, startXenboot, writeTempConfig } from '../../lab/xenboot.js';
import { buildXenboot } from '../tftp/servers.js';
import { cpuBetween, cpuSnapshot, timedCommand, timedCpu, type CpuUse } from './cpu.js';
import { exitOnHelp } from '../usage.js';

exitOnHelp(import.meta.url);

const seconds = Number(process.argv[2] ?? 8);
const rates = (process.argv[3] ?? '1000,2000,4000,8000').split(',').map(Number);
const takeoverRate = Number(process.argv[4] ?? 500);
/** Which scenarios run (XENBOOT_BENCH_HA_SCENARIOS=one,two; default both). */
const scenarios = (process.env.XENBOOT_BENCH_HA_SCENARIOS ?? 'one,two').split(',');
const takeoverSeconds = Number(process.argv[5] ?? 20);
const killAfter = Number(process.argv[6] ?? 6);
const PG_URL = process.env.XENBOOT_BENCH_PG_URL ?? 'postgres://postgres@/test?host=/var/run/postgresql';
const ADDRESS = { a: '10.211.0.1', b: '10.211.0.2' } as const;
const CLIENT = '10.211.0.9';
const POOL = { start: '10.211.16.0', end: '10.211.255.250' };
const HA = { heartbeatSeconds: 1, takeoverSeconds: 5 };
const warmupSeconds = Number(process.env.XENBOOT_BENCH_WARMUP ?? 0);
/** Cores each instance may use (its own cgroup); undefined: no limit. */
const instanceCpu = process.env.XENBOOT_BENCH_INSTANCE_CPU ? Number(process.env.XENBOOT_BENCH_INSTANCE_CPU) : undefined;
/** xenboot runs as one esbuild bundle (plain JavaScript, as after `npm run build`), built once. */
let bundle: string | undefined;

interface PerfResult {
  scenario: string;
  target: number;
  exchanges: number;
  discoverDrops: number;
  requestDrops: number;
  offerDelayMs: number;
  ackDelayMs: number;
  /** ACKs captured on the client's interface, and the addresses among them acknowledged to two MACs. */
  acks: number;
  naks: number;
  leasedTwice: number;
  captureDrops: number;
  /** CPU seconds the xenboot processes used during the run (all of them together), and per 1,000 exchanges. */
  xenbootCpuS: number;
  cpuMsPerExchange: number;
  /** Where the machine's CPU went during the run: µs per completed exchange, per process group. */
  usPerExchange: Record<string, number>;
  /** Of the machine's cores during the run, the share busy (1 = every core all the time). */
  machineBusy: number;
}

/** User + system CPU seconds of a process so far (`/proc/<pid>/stat`, clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

function number(text: string, pattern: RegExp): number {
  const match = pattern.exec(text);
  return match ? Number(match[1]) : NaN;
}

/** One run's namespaces: a bridge, the servers' and perfdhcp's namespaces on it. */
class Site {
  readonly namespaces: Namespace[] = [];
  readonly servers = new Map<'a' | 'b', RunningProcess>();
  /** Removes each instance's cgroup (XENBOOT_BENCH_INSTANCE_CPU), after the instance stopped. */
  private readonly budgets: Array<() => void> = [];
  readonly dir = mkdtempSync(join(tmpdir(), 'xenboot-bench-ha-'));
  readonly schema = `xbbench_ha_${process.pid}_${Date.now().toString(36)}`;
  lan!: Namespace;
  bridge!: string;
  client!: Namespace;
  clientIf!: string;
  tcpdump?: RunningProcess;

  async create(names: Array<'a' | 'b'>): Promise<void> {
    // Migrate once, so the instances start on a ready schema.
    const store = await openPostgresStore({ url: PG_URL, schema: this.schema, poolSize: 1 });
    await store.close();
    this.lan = await this.ns('xhal');
    this.bridge = await createBridge(this.lan);
    for (const name of names) {
      const ns = await this.ns(`xha${name}`);
      await attachToBridge(this.lan, this.bridge, ns, `${ADDRESS[name]}/16`);
    }
    this.client = await this.ns('xhac');
    this.clientIf = await attachToBridge(this.lan, this.bridge, this.client, `${CLIENT}/16`);
    const capture = join(this.dir, 'client.pcap');
    // Every reply perfdhcp receives; a small snap length keeps the capture cheap.
    this.tcpdump = this.client.spawn('tcpdump', ['-i', this.clientIf, '-n', '-s', '400', '-B', '16384', '-w', capture, 'udp src port 67']);
    await this.tcpdump.waitFor(/listening on/, 10_000);
    await Promise.all(names.map((name) => this.start(name, names.length > 1)));
  }

  private async ns(prefix: string): Promise<Namespace> {
    const ns = await Namespace.create(prefix);
    this.namespaces.push(ns);
    return ns;
  }

  async start(name: 'a' | 'b', ha: boolean): Promise<void> {
    const ns = this.namespaces.find((n) => n.name.startsWith(`xha${name}`))!;
    const config = writeTempConfig(
      {
        server: { address: ADDRESS[name] },
        log: { level: 'info', format: 'json' },
        http: { enabled: false },
        tftp: { enabled: false },
        store: { kind: 'postgres', url: PG_URL, schema: this.schema, poolSize: 10, durability: 'process' },
        dhcp: {
          mode: 'full',
          subnet: '10.211.0.0/16',
          ranges: [POOL],
          router: ADDRESS.a,
          leaseTime: 3600,
          ...(ha ? { ha: { self: name, peers: [{ name: 'a', address: ADDRESS.a }, { name: 'b', address: ADDRESS.b }], ...HA } } : {}),
        },
      },
      mkdtempSync(join(this.dir, `${name}-`)),
    );
    // With the service's `npm start` Node options; XENBOOT_BENCH_CPU_PROF=DIR adds a V8 CPU profile per instance.
    const profile = process.env.XENBOOT_BENCH_CPU_PROF;
    const nodeOptions = [...serviceNodeOptions(), ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [])];
    const server = await startXenboot(config, ns, 60_000, {}, (bundle ??= await buildXenboot()), nodeOptions);
    this.servers.set(name, server);
    if (instanceCpu !== undefined) this.budgets.push(limitCpu(server.pid, instanceCpu, `ha-${name}`).release);
  }

  /** Stops the capture and reads it: the ACKs and how many packets tcpdump says the kernel dropped. */
  async acks(): Promise<{ acks: WireAck[]; naks: number; captureDrops: number }> {
    await this.tcpdump?.stop('SIGTERM', 5_000);
    const dropped = number(this.tcpdump?.output() ?? '', /(\d+) packets dropped by kernel/);
    return { ...readWireReplies(join(this.dir, 'client.pcap')), captureDrops: Number.isNaN(dropped) ? 0 : dropped };
  }

  cpu(): number {
    return [...this.servers.values()].reduce((sum, s) => sum + cpuSeconds(s.pid), 0);
  }

  /** Process groups for CPU accounting: each instance, PostgreSQL's processes, the capture. */
  cpuGroups() {
    return {
      ...Object.fromEntries([...this.servers].map(([name, s]) => [`xenboot ${name}`, { pids: [s.pid] }])),
      postgres: { name: (n: string) => n === 'postgres' },
      tcpdump: { pids: this.tcpdump ? [this.tcpdump.pid] : [] },
    };
  }

  perf(rate: number, duration: number, macBase = '00:0c:01:00:00:00') {
    return this.client.exec(...timedCommand('perfdhcp', ['-4', '-l', this.clientIf, '-r', String(rate), '-p', String(duration), '-R', '1000000', '-b', `mac=${macBase}`]), { timeoutMs: (duration + 30) * 1000 });
  }

  async close(): Promise<void> {
    for (const server of this.servers.values()) await server.stop('SIGTERM', 3_000);
    for (const release of this.budgets.splice(0)) release();
    await this.tcpdump?.stop('SIGTERM', 3_000);
    for (const ns of this.namespaces.reverse()) await ns.delete();
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
    await client.end();
  }
}

/** The run's CPU per completed exchange (µs) by group, perfdhcp's from /usr/bin/time, and the machine's busy share. */
function perExchange(use: CpuUse, perfdhcpS: number, exchanges: number): Pick<PerfResult, 'usPerExchange' | 'machineBusy'> {
  const us = (s: number) => Math.round((s * 1e6) / Math.max(1, exchanges));
  const named = Object.values(use.groups).reduce((a, b) => a + b, 0) + (Number.isNaN(perfdhcpS) ? 0 : perfdhcpS);
  const usPerExchange: Record<string, number> = { ...Object.fromEntries(Object.entries(use.groups).map(([k, v]) => [k, us(v)])), perfdhcp: us(perfdhcpS) };
  // Interrupts and softirqs run in whatever process was on the CPU; the rest of the machine's busy time is "other".
  usPerExchange['irq+softirq (machine)'] = us(use.irqSeconds);
  usPerExchange.other = us(Math.max(0, use.busySeconds - named - use.irqSeconds));
  usPerExchange.machine = us(use.busySeconds);
  return { usPerExchange, machineBusy: Number((use.busySeconds / Math.max(0.01, use.coreSeconds)).toFixed(2)) };
}

/** Parses perfdhcp's final report. */
function parsePerf(output: string): Pick<PerfResult, 'exchanges' | 'discoverDrops' | 'requestDrops' | 'offerDelayMs' | 'ackDelayMs'> {
  const [, discover = '', request = ''] = output.split(/\*\*\*Statistics for: /);
  return {
    exchanges: number(output, /Rate: ([\d.]+) 4-way exchanges\/second/),
    discoverDrops: number(discover, /drops ratio: ([\d.]+) %/),
    requestDrops: number(request, /drops ratio: ([\d.]+) %/),
    offerDelayMs: number(discover, /avg delay: ([\d.]+) ms/),
    ackDelayMs: number(request, /avg delay: ([\d.]+) ms/),
  };
}

async function throughput(scenario: 'one instance' | 'two instances', rate: number): Promise<PerfResult> {
  const site = new Site();
  try {
    await site.create(scenario === 'one instance' ? ['a'] : ['a', 'b']);
    if (warmupSeconds > 0) await site.perf(rate, warmupSeconds, '00:0d:01:00:00:00');
    const cpuBefore = site.cpu();
    const machineBefore = cpuSnapshot();
    const perf = await site.perf(rate, seconds);
    const use = cpuBetween(machineBefore, cpuSnapshot(), site.cpuGroups());
    const xenbootCpuS = site.cpu() - cpuBefore;
    const { acks, naks, captureDrops } = await site.acks();
    const parsed = parsePerf(perf.stdout + perf.stderr);
    const result: PerfResult = {
      scenario,
      target: rate,
      ...parsed,
      acks: acks.length,
      naks,
      leasedTwice: addressesLeasedTwice(acks).length,
      captureDrops,
      xenbootCpuS: Number(xenbootCpuS.toFixed(2)),
      cpuMsPerExchange: Number(((xenbootCpuS * 1000) / Math.max(1, parsed.exchanges * seconds)).toFixed(3)),
      ...perExchange(use, timedCpu(perf.stderr), parsed.exchanges * seconds),
    };
    const warnings = [...site.servers.values()].flatMap((server) => server.output().split('\n').filter((l) => /"level":(4|5)\d/.test(l) && !l.includes('server.user is root')));
    if (warnings.length > 0) console.error(`${scenario} at ${rate}/s logged ${warnings.length} warnings/errors, e.g.:\n${warnings.slice(0, 5).join('\n')}`);
    if (!(result.exchanges > 0)) console.error(`${scenario} answered nothing at ${rate}/s:\n${[...site.servers.values()].map((s) => s.output().slice(-2000)).join('\n')}`);
    return result;
  } finally {
    await site.close();
  }
}

interface TakeoverResult {
  rate: number;
  killAfterS: number;
  /** From kill -9 of `a` to the first ACK `b` sent to a client of `a`'s half. */
  firstTakenOverAckMs: number | null;
  /** From kill -9 to `b`'s log line saying it took over. */
  declaredMs: number | null;
  statedBoundMs: number;
  acksBeforeKill: number;
  acksAfterTakeover: number;
  leasedTwice: number;
  captureDrops: number;
  exchanges: number;
}

async function takeover(): Promise<TakeoverResult> {
  const site = new Site();
  try {
    await site.create(['a', 'b']);
    const perf = site.perf(takeoverRate, takeoverSeconds);
    await new Promise((r) => setTimeout(r, killAfter * 1000));
    const killedAt = Date.now();
    await site.servers.get('a')!.stop('SIGKILL');
    const done = await perf;
    const { acks, captureDrops } = await site.acks();
    const line = site.servers.get('b')!.output().split('\n').find((l) => l.includes('peer a stopped beating'));
    const declaredAt = line ? (JSON.parse(line) as { time: number }).time : null;
    const ofA = (ack: WireAck) => bucketOfMac(ack.mac) % 2 === 0;
    const taken = acks.filter((ack) => ack.at >= killedAt && ack.server === ADDRESS.b && ofA(ack));
    const first = taken[0]?.at ?? null;
    return {
      rate: takeoverRate,
      killAfterS: killAfter,
      firstTakenOverAckMs: first === null ? null : Math.round(first - killedAt),
      declaredMs: declaredAt === null ? null : declaredAt - killedAt,
      statedBoundMs: (HA.takeoverSeconds + 2 * HA.heartbeatSeconds) * 1000,
      acksBeforeKill: acks.filter((a) => a.at < killedAt).length,
      acksAfterTakeover: taken.length,
      leasedTwice: addressesLeasedTwice(acks).length,
      captureDrops,
      exchanges: parsePerf(done.stdout + done.stderr).exchanges,
    };
  } finally {
    await site.close();
  }
}

async function main(): Promise<void> {
  await requireCommands('ip', 'perfdhcp', 'tcpdump');
  if (instanceCpu !== undefined && !(instanceCpu > 0)) throw new Error(`XENBOOT_BENCH_INSTANCE_CPU must be a positive number of cores, not ${process.env.XENBOOT_BENCH_INSTANCE_CPU}`);
  if (instanceCpu !== undefined && !cpuBudgetsAvailable()) throw new Error('XENBOOT_BENCH_INSTANCE_CPU needs a writable cgroup cpu controller');
  if (instanceCpu !== undefined) console.log(`each xenboot instance limited to ${instanceCpu} cores (its own cgroup)`);
  const results: PerfResult[] = [];
  for (const rate of rates) {
    for (const scenario of (['one instance', 'two instances'] as const).filter((s) => scenarios.includes(s.split(' ')[0]!))) {
      const result = await throughput(scenario, rate);
      results.push(result);
      console.log(JSON.stringify(result));
    }
  }
  const over = takeoverSeconds > 0 ? await takeover() : null;
  if (over) console.log(JSON.stringify(over));

  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`\nload average at the end: ${load}`);
  console.log('\n| target/s | scenario | exchanges/s | DISCOVER drops | REQUEST drops | OFFER delay ms | ACK delay ms | xenboot CPU ms per exchange | ACKs captured | NAKs | addresses leased twice | two ÷ one |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const rate of rates) {
    const one = results.find((r) => r.target === rate && r.scenario === 'one instance');
    for (const r of results.filter((x) => x.target === rate)) {
      const ratio = one === undefined || r === one ? '' : `${(r.exchanges / one.exchanges).toFixed(2)}×`;
      console.log(`| ${rate} | ${r.scenario} | ${r.exchanges.toFixed(0)} | ${r.discoverDrops.toFixed(2)} % | ${r.requestDrops.toFixed(2)} % | ${r.offerDelayMs.toFixed(2)} | ${r.ackDelayMs.toFixed(2)} | ${r.cpuMsPerExchange.toFixed(2)} | ${r.acks}${r.captureDrops ? ` (capture dropped ${r.captureDrops})` : ''} | ${r.naks} | ${r.leasedTwice} | ${ratio} |`);
    }
  }
  console.log('\nCPU per completed exchange (µs), by process; machine busy = share of all cores busy during the run:\n');
  const columns = [...new Set(results.flatMap((r) => Object.keys(r.usPerExchange)))];
  console.log(`| target/s | scenario | machine busy | ${columns.join(' | ')} |`);
  console.log(`|---|---|---|${columns.map(() => '---|').join('')}`);
  for (const r of results) console.log(`| ${r.target} | ${r.scenario} | ${(r.machineBusy * 100).toFixed(0)} % | ${columns.map((c) => r.usPerExchange[c] ?? '').join(' | ')} |`);
  // Past its capacity an instance answers fewer exchanges, not as many (issue 21 part 2): the best rate of each
  // scenario over all offered rates is its capacity, and their ratio the gain of the second instance.
  const peak = (scenario: string) => results.filter((r) => r.scenario === scenario).reduce((best, r) => (r.exchanges > best.exchanges ? r : best));
  const [one, two] = results.some((r) => r.scenario === 'one instance') && results.some((r) => r.scenario === 'two instances') ? [peak('one instance'), peak('two instances')] : [];
  if (one && two) console.log(`\npeak DORA rate: one instance ${one.exchanges.toFixed(0)}/s (offered ${one.target}/s), two instances ${two.exchanges.toFixed(0)}/s (offered ${two.target}/s): ${(two.exchanges / one.exchanges).toFixed(2)}×`);
  if (over) console.log(`\ntakeover at ${over.rate}/s, kill -9 of a after ${over.killAfterS} s: b declared a down ${over.declaredMs} ms after the kill, first ACK from b to a client of a's half ${over.firstTakenOverAckMs} ms after it (stated bound ${over.statedBoundMs} ms: takeoverSeconds + 2 × heartbeatSeconds); ACKs before the kill ${over.acksBeforeKill}, by b to a's clients after it ${over.acksAfterTakeover}; addresses leased twice ${over.leasedTwice}${over.captureDrops ? ` (capture dropped ${over.captureDrops})` : ''}`);
}

await main();
