/**
 * The two servers under test, started in the storm's server namespace on the same files: dnsmasq (the
 * reference) and xenboot. Both are stopped by PID. `processUsage` reads CPU time and peak RSS from
 * /proc, which is what the report compares.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Namespace } from '../../lab/netns.js';
import type { RunningProcess } from '../../lab/process.js';
import { startXenboot, writeTempConfig } from '../../lab/xenboot.js';
import { STORM_NET } from './storm-net.js';

/** CPU seconds used so far and peak resident memory. */
export interface ProcessUsage {
  cpuSeconds: number;
  peakRssMiB: number;
}

/** The command name and user and system CPU seconds in a proc(5) `stat` file (of a process or a thread). */
function readStatCpu(path: string): { name: string; user: number; system: number } {
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the command: state is index 0, so utime (14) and stime (15) are 11 and 12; ticks of 1/100 s.
  return { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
}

/** Reads `/proc/<pid>/stat` (utime + stime) and `/proc/<pid>/status` (VmHWM). */
export function processUsage(pid: number): ProcessUsage {
  const { user, system } = readStatCpu(`/proc/${pid}/stat`);
  const hwm = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/);
  return { cpuSeconds: user + system, peakRssMiB: hwm ? Number(hwm[1]) / 1024 : NaN };
}

/** CPU seconds of one thread so far (user, system), from `/proc/<pid>/task/<tid>/stat`. */
export interface ThreadUsage {
  tid: number;
  name: string;
  user: number;
  system: number;
}

/** Every thread of `pid` with its CPU time: where a server's CPU went (event loop, ACK thread, GC, …). */
export function threadUsage(pid: number): ThreadUsage[] {
  const threads: ThreadUsage[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      threads.push({ tid: Number(tid), ...readStatCpu(`/proc/${pid}/task/${tid}/stat`) });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return threads;
}

/** A server to storm. */
export interface StormServer {
  /** `xenboot-baseline` is another checkout's build (`--baseline DIR`), run beside this one. */
  name: 'xenboot' | 'dnsmasq' | 'xenboot-baseline';
  process: RunningProcess;
  /** Base URL for the HTTP variant, when the server has one. */
  httpBase?: string;
}

/** dnsmasq: DHCP on the whole pool, TFTP from `root`, no ping check, no per-transfer log lines. */
export async function startDnsmasqServer(ns: Namespace, iface: string, root: string, workDir: string, maxTransfers: number): Promise<StormServer> {
  const proc = ns.spawn('dnsmasq', [
    '--no-daemon',
    '--conf-file=/dev/null',
    '--port=0',
    `--interface=${iface}`,
    '--bind-interfaces',
    `--dhcp-range=${STORM_NET.poolFirst},${STORM_NET.poolLast},${STORM_NET.netmask},1h`,
    '--dhcp-lease-max=5000',
    `--dhcp-leasefile=${workDir}/dnsmasq.leases`,
    '--pid-file=',
    '--no-ping',
    `--dhcp-boot=pxelinux.0,,${STORM_NET.server}`,
    '--dhcp-broadcast',
    '--dhcp-authoritative',
    '--enable-tftp',
    `--tftp-root=${root}`,
    `--tftp-max=${maxTransfers}`,
    '--log-facility=-',
    '--quiet-dhcp',
    '--quiet-tftp',
  ]);
  await proc.waitFor(/TFTP root is|started, version/, 15_000);
  return { name: 'dnsmasq', process: proc };
}

/**
 * xenboot: full DHCP on the same pool, TFTP and HTTP from the same root, logging at its default level;
 * run as plain JavaScript from `bundle` (bench/tftp/servers.ts `buildXenboot`), as `npm start` runs it;
 * `env` is added to its environment only (NODE_OPTIONS for the server, not the clients).
 */
export async function startXenbootServer(
  ns: Namespace,
  bundle: string,
  root: string,
  workDir: string,
  maxTransfers: number,
  name: 'xenboot' | 'xenboot-baseline' = 'xenboot',
  env: NodeJS.ProcessEnv = {},
): Promise<StormServer> {
  const config = {
    server: { address: STORM_NET.server },
    log: { level: 'info', format: 'json' },
    store: { kind: 'memory' },
    http: { address: STORM_NET.server, port: 8080 },
    tftp: { root, port: 69, maxTransfers },
    dhcp: {
      mode: 'full',
      subnet: STORM_NET.subnet,
      ranges: [{ start: STORM_NET.poolFirst, end: STORM_NET.poolLast }],
      boot: { bios: 'pxelinux.0', fallback: 'pxelinux.0' },
      rateLimit: { perSecond: 50, burst: 100 },
    },
  };
  const proc = await startXenboot(writeTempConfig(config, workDir, { addUser: name !== 'xenboot-baseline' }), ns, 60_000, env, bundle);
  return { name, process: proc, httpBase: `http://${STORM_NET.server}:8080` };
}
