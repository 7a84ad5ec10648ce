/**
 * The two servers under comparison, each started and stopped by PID: tftpd-hpa (`in.tftpd -L`, the
 * reference) and `xenboot serve` (TFTP only). Both are started under `taskset` so a round can pin them.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startProcess, runCommand, type RunningProcess } from '../../lab/process.js';
import { repoRoot, serviceNodeOptions, writeTempConfig } from '../../lab/xenboot.js';

/** A running server under test. */
export interface BenchServer {
  /** `xenboot-baseline` is another checkout's build (`--baseline DIR`), run beside this one. */
  name: 'tftpd-hpa' | 'xenboot' | 'xenboot-dgram' | 'xenboot-baseline';
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** Starts `in.tftpd -L -a 127.0.0.1:PORT -s DIR` (foreground, forks one child per transfer). */
export async function startTftpdHpa(root: string, port: number): Promise<BenchServer> {
  const proc = startProcess('taskset', ['-c', '0,1', '/usr/sbin/in.tftpd', '-L', '-a', `127.0.0.1:${port}`, '-s', root]);
  await waitForUdpPort(proc, port);
  return { name: 'tftpd-hpa', port, pid: proc.pid, stop: () => proc.stop() };
}

/**
 * Bundles the CLI with esbuild (shipped with tsx) into `bench/out/tftp-build/cli.mjs`, so the server runs
 * as plain JavaScript, the way `npm start` runs the tsc build: no TypeScript loader thread in its CPU
 * time or its memory. Dependencies stay external and resolve from the repository's node_modules.
 * `checkout` is the repository to bundle: this one, or another checkout (an earlier commit with its own
 * `node_modules` and native build) to measure before and after a change in one run; the bundle lands in
 * that checkout, so it finds that checkout's native addon.
 */
export async function buildXenboot(checkout: string = repoRoot): Promise<string> {
  const outfile = join(checkout, 'bench', 'out', 'tftp-build', 'cli.mjs');
  const esbuild = join(repoRoot, 'node_modules', '.bin', 'esbuild');
  const args = ['src/cli.ts', '--bundle', '--platform=node', '--format=esm', '--packages=external', '--target=node20', `--outfile=${outfile}`, '--log-level=warning'];
  const result = await runCommand(esbuild, args, { cwd: checkout, timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`esbuild failed: ${result.stderr}`);
  return outfile;
}

/**
 * Starts `xenboot serve` (the bundle from `buildXenboot`, with its checkout's `npm start` Node options) with
 * TFTP on 127.0.0.1:PORT serving `root`, HTTP off, warnings only; `engine` is `tftp.engine` (native: the xenboot_udp addon, which must be built).
 */
export async function startXenbootTftp(
  bundle: string,
  root: string,
  port: number,
  dir: string,
  engine: 'native' | 'dgram' = 'native',
  name: BenchServer['name'] = engine === 'native' ? 'xenboot' : 'xenboot-dgram',
): Promise<BenchServer> {
  const config = { log: { format: 'json', level: 'warn' }, http: { enabled: false }, store: { kind: 'memory' }, tftp: { port, root, maxWindowsize: 64, engine } };
  const configDir = join(dir, name);
  mkdirSync(configDir, { recursive: true });
  // The bundle sits in <checkout>/bench/out/tftp-build: it runs with that checkout's start options.
  const args = [...serviceNodeOptions(resolve(bundle, '../../../..')), bundle, 'serve', '--config', writeTempConfig(config, configDir, { addUser: name !== 'xenboot-baseline' })];
  const proc = startProcess('taskset', ['-c', '0,1', process.execPath, ...args], { cwd: repoRoot, env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  await waitForUdpPort(proc, port);
  return { name, port, pid: proc.pid, stop: () => proc.stop() };
}

/** Waits (bounded) until something listens on UDP 127.0.0.1:port. */
async function waitForUdpPort(proc: RunningProcess, port: number): Promise<void> {
  for (let i = 0; i < 150; i += 1) {
    const ss = await runCommand('ss', ['-Huan', 'sport', '=', `:${port}`], { timeoutMs: 5_000 });
    if (ss.stdout.includes(`127.0.0.1:${port}`)) return;
    if (proc.child.exitCode !== null) throw new Error(`server exited: ${proc.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await proc.stop();
  throw new Error(`nothing listening on udp 127.0.0.1:${port} after 15 s: ${proc.output()}`);
}

/** Sets the CPU affinity of a process and all its threads (`taskset -a -p`). */
export async function pin(pid: number, cpus: string): Promise<void> {
  const result = await runCommand('taskset', ['-a', '-p', '-c', cpus, String(pid)], { timeoutMs: 5_000 });
  if (result.code !== 0) throw new Error(`taskset failed: ${result.stderr}`);
}

/** Peak resident set size of a process (VmHWM), in MiB. */
export function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(status.match(/^VmHWM:\s+(\d+) kB/m)?.[1] ?? NaN);
  return kib / 1024;
}

/** Current resident set size of a process (VmRSS), in MiB. */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(/^VmRSS:\s+(\d+) kB/m)?.[1] ?? NaN) / 1024;
}
