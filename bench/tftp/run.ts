/**
 * TFTP benchmark: xenboot against tftpd-hpa in the same run, on 127.0.0.1.
 *
 *   node --import tsx bench/tftp/run.ts [--rounds N] [--clients N] [--baseline DIR]
 *
 * With `--baseline DIR` (a checkout of an earlier commit, with its `node_modules` and its native addon
 * built), that build runs too, as `xenboot-baseline` with the native engine, in every round: a change is
 * measured before and after in one run, beside the reference.
 * xenboot runs twice, once per transfer engine (`tftp.engine` native and dgram), beside tftpd-hpa.
 * Single streams (one 40 MiB file with atftp at blksize 512, 1468, 8192, and 1468 with windowsize 16)
 * run with server and client pinned to CPU 0, servers interleaved A B C A B C, median of the rounds: lock-step
 * TFTP on a small VM is dominated by cross-CPU wake-ups otherwise. tftpd-hpa has no windowsize, so it
 * answers that round in lock-step (atftp ≥ 0.8 is the client that speaks windowsize). xenboot's
 * lock-step and windowed figures are repeated unpinned. Then N concurrent atftp clients × 16 MiB
 * (blksize 1468), unpinned.
 * Every download is checked by MD5. Prints each figure, the ratio xenboot / tftpd-hpa and xenboot's
 * peak RSS.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { requireCommands, runCommand } from '../../lab/process.js';
import { buildXenboot, peakRssMiB, pin, rssMiB, startTftpdHpa, startXenbootTftp, type BenchServer } from './servers.js';
import { exitOnHelp } from '../usage.js';

exitOnHelp(import.meta.url);

const MiB = 1024 * 1024;
const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, clients: { type: 'string', default: '50' }, baseline: { type: 'string' } },
});
const rounds = Number(values.rounds);
const clientCount = Number(values.clients);

const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

/** CPU ticks (utime + stime) of one process, or null when it is gone. */
function cpuTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of proc(5) (utime, stime) are 11 and 12 after the command name.
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

/**
 * Samples the CPU time of a server and of its children every 10 ms until stopped. tftpd-hpa serves each
 * transfer in a forked child that it does not account for (SIGCHLD ignored), so the children are read
 * while they run; the last 10 ms of a child can be missed.
 */
function sampleCpu(pid: number): () => number {
  const last = new Map<number, number>();
  const start = cpuTicks(pid) ?? 0;
  const sample = () => {
    last.set(pid, cpuTicks(pid) ?? last.get(pid) ?? start);
    let children: string[] = [];
    try {
      children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    } catch {
      /* no children */
    }
    for (const child of children.map(Number)) {
      const ticks = cpuTicks(child);
      if (ticks !== null) last.set(child, ticks);
    }
  };
  sample();
  const timer = setInterval(sample, 10);
  return () => {
    clearInterval(timer);
    sample();
    let total = (last.get(pid) ?? start) - start;
    for (const [p, ticks] of last) if (p !== pid) total += ticks;
    return total / 100;
  };
}

/** Server CPU seconds of the last `download` (a load-independent view beside the wall time). */
let lastServerCpu = 0;

/** One atftp download; resolves with seconds taken, after checking the MD5. */
async function download(server: BenchServer, file: string, expectedMd5: string, out: string, options: string[], cpu: string | null): Promise<number> {
  const args = [...options.flatMap((o) => ['--option', o]), '-g', '-r', file, '-l', out, '127.0.0.1', String(server.port)];
  const [command, argv] = cpu === null ? ['atftp', args] : ['taskset', ['-c', cpu, 'atftp', ...args]];
  // CPU sampling only for the pinned single streams; fifty samplers would disturb the concurrent round.
  const stopSampling = cpu !== null ? sampleCpu(server.pid) : null;
  const started = performance.now();
  const result = await runCommand(command, argv, { timeoutMs: 300_000 });
  const seconds = (performance.now() - started) / 1000;
  lastServerCpu = stopSampling?.() ?? 0;
  if (result.code !== 0) throw new Error(`${server.name}: atftp ${options.join(' ')} failed: ${result.stderr}${result.stdout}`);
  const got = md5(readFileSync(out));
  rmSync(out, { force: true });
  if (got !== expectedMd5) throw new Error(`${server.name}: ${file} arrived corrupted (${got})`);
  return seconds;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const fmt = (n: number, digits = 1) => n.toFixed(digits);

async function main(): Promise<void> {
  await requireCommands('atftp', 'in.tftpd', 'taskset', 'ss');
  const dir = mkdtempSync(join(tmpdir(), 'xenboot-bench-tftp-'));
  const root = join(dir, 'root');
  const out = join(dir, 'out');
  mkdirSync(root);
  mkdirSync(out);
  // tftpd-hpa chroots into the root and drops to nobody: it must be world-readable.
  chmodSync(dir, 0o755);
  chmodSync(root, 0o755);
  const big = randomBytes(40 * MiB);
  const medium = randomBytes(16 * MiB);
  writeFileSync(join(root, 'forty.bin'), big);
  writeFileSync(join(root, 'sixteen.bin'), medium);
  const sums = { 'forty.bin': md5(big), 'sixteen.bin': md5(medium) };

  const basePort = 20000 + (process.pid % 20000);
  const hpa = await startTftpdHpa(root, basePort);
  const bundle = await buildXenboot();
  const xen = await startXenbootTftp(bundle, root, basePort + 1, dir, 'native');
  const xenDgram = await startXenbootTftp(bundle, root, basePort + 2, dir, 'dgram');
  const baseline = values.baseline
    ? await startXenbootTftp(await buildXenboot(values.baseline), root, basePort + 3, dir, 'native', 'xenboot-baseline')
    : null;
  // xenboot with each transfer engine (and the baseline build), and the reference; every round runs them all,
  // rotating who goes first.
  const servers = [xen, xenDgram, ...(baseline ? [baseline] : []), hpa];
  const names = servers.map((s) => s.name);
  const perServer = <T>(make: () => T): Record<string, T> => Object.fromEntries(names.map((n) => [n, make()]));
  const rotation = (round: number) => servers.map((_, i) => servers[(i + round) % servers.length]!);
  const lines: string[] = [];
  const print = (line: string) => {
    lines.push(line);
    console.log(line);
  };
  try {
    print(`TFTP benchmark ${new Date().toISOString()}, ${rounds} rounds, load average ${loadavg().map((l) => fmt(l, 2)).join(' ')}`);
    print('xenboot = native UDP engine (tftp.engine: native); xenboot-dgram = node:dgram (tftp.engine: dgram)');
    if (values.baseline) print(`xenboot-baseline = the build of ${values.baseline} (native engine)`);
    const xenbootNames = names.filter((n) => n !== 'tftpd-hpa');
    print('');
    print(
      `| single stream, 40 MiB, pinned to CPU 0 | ${names.map((n) => `${n} MB/s`).join(' | ')} | ${xenbootNames.map((n) => `${n} ÷ tftpd-hpa`).join(' | ')}${baseline ? ' | xenboot ÷ xenboot-baseline' : ''} | server CPU s: ${names.join(' / ')} |`,
    );
    print(`|---|${names.map(() => '---|').join('')}${xenbootNames.map(() => '---|').join('')}${baseline ? '---|' : ''}---|`);
    const single: Array<[string, string[]]> = [
      ['blksize 512', ['blksize 512', 'tsize 0']],
      ['blksize 1468', ['blksize 1468', 'tsize 0']],
      ['blksize 8192', ['blksize 8192', 'tsize 0']],
      ['blksize 1468, windowsize 16', ['blksize 1468', 'tsize 0', 'windowsize 16']],
    ];
    const xenMedians: Record<string, number> = {};
    for (const server of servers) await pin(server.pid, '0');
    for (const [label, options] of single) {
      const times = perServer<number[]>(() => []);
      const cpu = perServer<number[]>(() => []);
      for (let round = 0; round < rounds; round += 1) {
        // Interleaved: A B C A B C …, rotating who goes first.
        for (const server of rotation(round)) {
          times[server.name]!.push(await download(server, 'forty.bin', sums['forty.bin'], join(out, 'single.bin'), options, '0'));
          cpu[server.name]!.push(lastServerCpu);
        }
      }
      const rate = (name: string) => (40 * MiB) / 1e6 / median(times[name]!);
      const hpaRate = rate('tftpd-hpa');
      xenMedians[label] = rate('xenboot');
      const rates = names.map((n) => `${fmt(rate(n))}${n === 'tftpd-hpa' && label.includes('windowsize') ? ' (no windowsize: lock-step)' : ''}`);
      const toHpa = xenbootNames.map((n) => `${fmt(rate(n) / hpaRate, 2)}×`);
      const toBaseline = baseline ? [`${fmt(rate('xenboot') / rate('xenboot-baseline'), 2)}×`] : [];
      print(`| ${label} | ${[...rates, ...toHpa, ...toBaseline].join(' | ')} | ${names.map((n) => fmt(median(cpu[n]!), 2)).join(' / ')} |`);
    }
    const windowGain = xenMedians['blksize 1468, windowsize 16']! / xenMedians['blksize 1468']!;
    print('');
    print(`xenboot windowsize 16 vs its own lock-step at blksize 1468 (pinned): ${fmt(windowGain, 2)}×`);

    // The same two xenboot figures unpinned: with client and server on one CPU every DATA packet wakes
    // the client and preempts the sender, which hides most of what a window saves.
    for (const server of servers) await pin(server.pid, '0,1');
    const unpinned: Record<string, number> = {};
    for (const [label, options] of single.filter(([l]) => l.startsWith('blksize 1468'))) {
      const times: number[] = [];
      for (let round = 0; round < rounds; round += 1) times.push(await download(xen, 'forty.bin', sums['forty.bin'], join(out, 'single.bin'), options, null));
      unpinned[label] = (40 * MiB) / 1e6 / median(times);
    }
    print(
      `xenboot unpinned, blksize 1468: lock-step ${fmt(unpinned['blksize 1468']!)} MB/s, windowsize 16 ${fmt(unpinned['blksize 1468, windowsize 16']!)} MB/s: ${fmt(unpinned['blksize 1468, windowsize 16']! / unpinned['blksize 1468']!, 2)}×`,
    );

    // Concurrent clients, unpinned (both CPUs), all started at once.
    print('');
    print(`| ${clientCount} concurrent clients × 16 MiB, blksize 1468 | wall s | aggregate MB/s | failures |`);
    print('|---|---|---|---|');
    const aggregate: Record<string, number> = {};
    const walls = perServer<number[]>(() => []);
    const failed = perServer(() => 0);
    let xenPeakDuring = 0;
    for (let round = 0; round < rounds; round += 1) {
      for (const server of rotation(round)) {
        const sampler = server === xen ? setInterval(() => (xenPeakDuring = Math.max(xenPeakDuring, rssMiB(server.pid))), 50) : null;
        const started = performance.now();
        const results = await Promise.allSettled(
          Array.from({ length: clientCount }, (_, i) =>
            download(server, 'sixteen.bin', sums['sixteen.bin'], join(out, `c${i}.bin`), ['blksize 1468', 'tsize 0'], null),
          ),
        );
        walls[server.name]!.push((performance.now() - started) / 1000);
        if (sampler) clearInterval(sampler);
        const failures = results.filter((r) => r.status === 'rejected');
        for (const f of failures.slice(0, 3)) console.error(`  ${server.name}: ${(f as PromiseRejectedResult).reason}`);
        failed[server.name]! += failures.length;
      }
    }
    for (const server of servers) {
      const wall = median(walls[server.name]!);
      aggregate[server.name] = (clientCount * 16 * MiB) / 1e6 / wall;
      print(`| ${server.name} | ${fmt(wall, 2)} (median of ${rounds}) | ${fmt(aggregate[server.name]!)} | ${failed[server.name]} |`);
    }
    print('');
    print(`ratio to tftpd-hpa (aggregate): ${xenbootNames.map((n) => `${n} ${fmt(aggregate[n]! / aggregate['tftpd-hpa']!, 2)}×`).join(', ')}`);
    if (baseline) print(`xenboot ÷ xenboot-baseline (aggregate): ${fmt(aggregate.xenboot! / aggregate['xenboot-baseline']!, 2)}×`);
    print(`xenboot peak RSS (VmHWM, whole run): ${fmt(peakRssMiB(xen.pid))} MiB; highest RSS sampled during the ${clientCount}-client round: ${fmt(xenPeakDuring)} MiB`);
    print(`xenboot-dgram peak RSS (VmHWM, whole run): ${fmt(peakRssMiB(xenDgram.pid))} MiB`);
    if (baseline) print(`xenboot-baseline peak RSS (VmHWM, whole run): ${fmt(peakRssMiB(baseline.pid))} MiB`);
  } finally {
    await xen.stop();
    await xenDgram.stop();
    await baseline?.stop();
    await hpa.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
