/**
 * DHCP benchmark: ISC perfdhcp (Debian kea-admin) against xenboot and against dnsmasq (with its lease
 * file, and with `leasefile-ro`, i.e. no persistence), each in its own pair of network namespaces, the
 * same pool, in the same run, at rising target rates. Every server starts fresh for every rate.
 *
 *   sudo npx tsx bench/dhcp/run.ts [seconds-per-rate] [rate,rate,…]
 *
 * Prints one line per (server, rate) and a table of 4-way exchanges per second, drops, delays and the
 * ratio of xenboot to each dnsmasq variant. Needs root; only addresses in 10.202.128.0/17 inside the
 * namespaces it creates are used.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, Namespace } from '../../lab/netns.js';
import { requireCommands, type RunningProcess } from '../../lab/process.js';
import { startXenboot, writeTempConfig } from '../../lab/xenboot.js';
import { exitOnHelp } from '../usage.js';

exitOnHelp(import.meta.url);

const seconds = Number(process.argv[2] ?? 10);
const rates = (process.argv[3] ?? '250,500,1000,2000,4000,6000').split(',').map(Number);
const SERVER = '10.202.128.1';
const CLIENT = '10.202.128.2';
const POOL = { start: '10.202.129.0', end: '10.202.255.250' };

/** The servers compared, and whether each keeps its leases across a restart. */
const servers = [
  { name: 'xenboot (SQLite)', persists: true },
  { name: 'dnsmasq (lease file)', persists: true },
  { name: 'dnsmasq (leasefile-ro)', persists: false },
] as const;

interface PerfResult {
  server: string;
  target: number;
  exchanges: number;
  discoverDrops: number;
  requestDrops: number;
  offerDelayMs: number;
  ackDelayMs: number;
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

async function startServer(name: (typeof servers)[number]['name'], ns: Namespace, ifName: string, dir: string): Promise<RunningProcess> {
  if (name.startsWith('xenboot')) {
    const config = writeTempConfig(
      {
        server: { address: SERVER },
        log: { level: 'info', format: 'json' },
        http: { enabled: false },
        tftp: { enabled: false },
        store: { kind: 'sqlite', path: join(dir, 'xenboot.db') },
        dhcp: { mode: 'full', subnet: '10.202.128.0/17', ranges: [POOL], router: SERVER, leaseTime: 3600 },
      },
      dir,
    );
    return startXenboot(config, ns, 60_000);
  }
  const args = [
    '--keep-in-foreground', '--log-facility=-', '--quiet-dhcp', '--no-resolv', '--no-hosts', '--port=0', '--no-ping',
    `--interface=${ifName}`, '--bind-interfaces', '--dhcp-authoritative', '--dhcp-lease-max=200000', '--dhcp-broadcast',
    `--dhcp-range=${POOL.start},${POOL.end},255.255.128.0,1h`, `--dhcp-option=3,${SERVER}`,
    `--dhcp-leasefile=${join(dir, 'dnsmasq.leases')}`, `--pid-file=${join(dir, 'dnsmasq.pid')}`,
  ];
  if (name.includes('leasefile-ro')) args.push('--leasefile-ro');
  const proc = ns.spawn('dnsmasq', args);
  await new Promise((r) => setTimeout(r, 1_000));
  return proc;
}

async function runOne(name: (typeof servers)[number]['name'], rate: number): Promise<PerfResult> {
  const server = await Namespace.create('xbd');
  const client = await Namespace.create('xbd');
  let proc: RunningProcess | undefined;
  try {
    const [serverIf, clientIf] = await connect(server, `${SERVER}/17`, client, `${CLIENT}/17`);
    const dir = mkdtempSync(join(tmpdir(), 'xenboot-bench-dhcp-'));
    proc = await startServer(name, server, serverIf, dir);
    const perf = await client.exec('perfdhcp', ['-4', '-l', clientIf, '-r', String(rate), '-p', String(seconds), '-R', '1000000', '-b', 'mac=00:0c:01:00:00:00'], { timeoutMs: (seconds + 30) * 1000 });
    return parsePerf(name, rate, perf.stdout + perf.stderr);
  } finally {
    await proc?.stop('SIGTERM', 3_000);
    await client.delete();
    await server.delete();
  }
}

async function main(): Promise<void> {
  await requireCommands('ip', 'perfdhcp', 'dnsmasq');
  const results: PerfResult[] = [];
  for (const rate of rates) {
    for (const { name } of servers) {
      const result = await runOne(name, rate);
      results.push(result);
      console.log(JSON.stringify(result));
    }
  }
  const persists = (s: string) => (servers.find((x) => x.name === s)!.persists ? 'yes' : 'no');
  console.log(`\n| target/s | server | persists leases | exchanges/s | DISCOVER drops | REQUEST drops | OFFER delay ms | ACK delay ms | xenboot ÷ this |`);
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const rate of rates) {
    const row = results.filter((r) => r.target === rate);
    const xenboot = row.find((r) => r.server.startsWith('xenboot'))!;
    for (const r of row) {
      const ratio = r === xenboot ? '' : (xenboot.exchanges / r.exchanges).toFixed(2);
      console.log(`| ${rate} | ${r.server} | ${persists(r.server)} | ${r.exchanges.toFixed(0)} | ${r.discoverDrops.toFixed(2)} % | ${r.requestDrops.toFixed(2)} % | ${r.offerDelayMs.toFixed(2)} | ${r.ackDelayMs.toFixed(2)} | ${ratio} |`);
    }
  }
}

await main();
