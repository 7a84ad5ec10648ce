/**
 * Boot-file download speed over HTTP: `xenboot serve` (static files from the TFTP root through the content
 * chain, the path lpxelinux/iPXE/GRUB use for kernels and initrds) against busybox httpd serving the same
 * directory, in the same run, on 127.0.0.1. Each server gets `rounds` sequential downloads of a 64 MiB file
 * and then `parallel` simultaneous downloads; curl reports the bytes per second. Prints MiB/s and the
 * ratio xenboot / busybox.
 *
 *   npx tsx bench/http/files.ts [rounds=5] [parallel=8]
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireCommands, runCommand, startProcess, type RunningProcess } from '../../lab/process.js';
import { startXenboot, writeTempConfig } from '../../lab/xenboot.js';
import { exitOnHelp } from '../usage.js';

exitOnHelp(import.meta.url);

const rounds = Number(process.argv[2] ?? 5);
const parallel = Number(process.argv[3] ?? 8);
const SIZE = 64 * 1024 * 1024;

async function download(url: string): Promise<number> {
  const result = await runCommand('curl', ['-sS', '--fail', '-o', '/dev/null', '-w', '%{speed_download} %{size_download}', url], { timeoutMs: 120_000 });
  const [speed, size] = result.stdout.trim().split(' ').map(Number);
  if (result.code !== 0 || size !== SIZE) throw new Error(`download of ${url} failed: ${result.stderr} (${result.stdout})`);
  return speed!;
}

async function measure(url: string): Promise<{ sequential: number; parallel: number }> {
  await download(url); // warm the page cache and the server
  const speeds: number[] = [];
  for (let i = 0; i < rounds; i += 1) speeds.push(await download(url));
  speeds.sort((a, b) => a - b);
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: parallel }, () => download(url)));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { sequential: speeds[Math.floor(speeds.length / 2)]!, parallel: (parallel * SIZE) / seconds };
}

async function main(): Promise<void> {
  await requireCommands('curl', 'busybox');
  const dir = mkdtempSync(join(tmpdir(), 'xenboot-bench-http-'));
  const root = join(dir, 'tftproot');
  const processes: RunningProcess[] = [];
  try {
    mkdirSync(root);
    writeFileSync(join(root, 'initrd.img'), randomBytes(SIZE));
    const config = writeTempConfig({ log: { level: 'info', format: 'json' }, tftp: { enabled: false, root }, http: { port: 0 }, store: { kind: 'memory' } }, dir);
    const xenboot = await startXenboot(config);
    processes.push(xenboot);
    const port = /"protocol":"http","address":"127\.0\.0\.1","port":(\d+)/.exec(xenboot.output())?.[1];
    if (!port) throw new Error(`could not find xenboot's port:\n${xenboot.output()}`);
    const busyboxPort = 20000 + (process.pid % 20000);
    const busybox = startProcess('busybox', ['httpd', '-f', '-p', `127.0.0.1:${busyboxPort}`, '-h', root]);
    processes.push(busybox);
    await new Promise((r) => setTimeout(r, 300));

    const ours = await measure(`http://127.0.0.1:${port}/initrd.img`);
    const theirs = await measure(`http://127.0.0.1:${busyboxPort}/initrd.img`);
    const mib = (bps: number) => (bps / 1024 / 1024).toFixed(0).padStart(6);
    console.log(`64 MiB file over HTTP on 127.0.0.1; median of ${rounds} sequential downloads, then ${parallel} at once (aggregate)`);
    console.log('server          | sequential MiB/s | parallel MiB/s');
    console.log(`xenboot serve   |           ${mib(ours.sequential)} |         ${mib(ours.parallel)}`);
    console.log(`busybox httpd   |           ${mib(theirs.sequential)} |         ${mib(theirs.parallel)}`);
    console.log(`ratio xenboot/busybox: sequential ${(ours.sequential / theirs.sequential).toFixed(2)}, parallel ${(ours.parallel / theirs.parallel).toFixed(2)}`);
  } finally {
    for (const p of processes) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
