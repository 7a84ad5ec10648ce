/**
 * Boot-config lookups: PXELINUX clients walking their config-name order (boot-protocols.md §2.3) against
 * xenboot, which renders `pxelinux.cfg/…` from its inventory on every request, and against tftpd-hpa
 * serving the same files pre-rendered on disk, in the same run.
 *
 *   node --import tsx bench/boot/lookup-walk.ts [--hosts 500] [--walks 4000] [--concurrency 16]
 *
 * A known machine's walk: its UUID (not in the inventory: "not found"), then `01-<mac>` (found, 2 RRQs).
 * An unknown machine's walk: UUID, `01-<mac>`, 8 hex-IP names, `default`, all "not found" (11 RRQs).
 * Half the walks are of each kind. Prints walks/s, RRQs/s and walk latency percentiles, and the ratios.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import { ProfileSchema, type Profile } from '../../src/inventory/model.js';
import { pxelinuxCandidates } from '../../src/boot/loaders/pxelinux.js';
import { BootRenderer } from '../../src/boot/render.js';
import { TemplateSet } from '../../src/boot/templates.js';
import { pxelinuxMacName } from '../../src/net/mac.js';
import { tftpyGet } from '../../lab/clients/tftpy-client.js';
import { requireCommands, startProcess } from '../../lab/process.js';
import { repoRoot, writeTempConfig } from '../../lab/xenboot.js';
import { buildXenboot, startTftpdHpa, type BenchServer } from '../tftp/servers.js';
import { exitOnHelp } from '../usage.js';

exitOnHelp(import.meta.url);

const { values } = parseArgs({ options: { hosts: { type: 'string', default: '500' }, walks: { type: 'string', default: '4000' }, concurrency: { type: 'string', default: '16' } } });
const HOSTS = Number(values.hosts);
const WALKS = Number(values.walks);
const CONCURRENCY = Number(values.concurrency);

const profile = Value.Default(ProfileSchema, {
  name: 'xen-diskless',
  kind: 'xen-dom0',
  xen: { image: 'xen/xen.gz', uncompressed: 'xen/xen', args: ['dom0_mem=2048M,max:2048M', 'dom0_max_vcpus=2', 'console=com1', 'com1=115200,8n1'] },
  dom0: { kernel: 'linux/vmlinuz', args: ['console=hvc0', 'earlyprintk=xen'], initrds: ['linux/initrd.img'] },
  serial: { port: 0, baud: 115200 },
}) as Profile;

function macOf(i: number): string {
  return `52:54:00:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
}

/** One walk: names in order until the first found; returns the RRQ count and how many timed out. */
async function walk(names: string[], port: number): Promise<{ rrqs: number; timeouts: number; found: boolean }> {
  let rrqs = 0;
  let timeouts = 0;
  for (const name of names) {
    rrqs += 1;
    try {
      await tftpyGet(name, { host: '127.0.0.1', port, sendBlksize: false, timeoutMs: 3000, retries: 2 });
      return { rrqs, timeouts, found: true };
    } catch (error) {
      // "not found" (ERROR 1) moves on at once; a timeout means the server did not answer in 3 × 3 s.
      if (/timeout/.test((error as Error).message)) timeouts += 1;
    }
  }
  return { rrqs, timeouts, found: false };
}

async function measure(server: BenchServer, walks: string[][]) {
  const latencies: number[] = [];
  let rrqs = 0;
  let timeouts = 0;
  let found = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < walks.length) {
        const names = walks[next++]!;
        const t = performance.now();
        const result = await walk(names, server.port);
        rrqs += result.rrqs;
        timeouts += result.timeouts;
        if (result.found) found += 1;
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  return { walksPerSecond: walks.length / seconds, rrqsPerSecond: rrqs / seconds, p50: pct(0.5), p99: pct(0.99), timeouts, found };
}

async function main() {
  await requireCommands('in.tftpd', 'taskset', 'ss');
  const dir = mkdtempSync(join(tmpdir(), 'xenboot-bench-lookup-'));
  const staticRoot = join(dir, 'static');
  mkdirSync(join(staticRoot, 'pxelinux.cfg'), { recursive: true });
  const hosts = Array.from({ length: HOSTS }, (_, i) => ({ mac: macOf(i + 1), ip: `10.200.${(i >> 8) & 255}.${i & 255}`, profile: 'xen-diskless' }));
  // tftpd-hpa gets byte-identical files, rendered by the same renderer ahead of time.
  const renderer = new BootRenderer(TemplateSet.load(), { address: '127.0.0.1', publicUrl: 'http://127.0.0.1:8080' });
  for (const h of hosts) {
    writeFileSync(join(staticRoot, 'pxelinux.cfg', pxelinuxMacName(h.mac)), renderer.render('pxelinux', { mac: h.mac, profile, vars: {}, ip: h.ip, known: true }));
  }
  const walks: string[][] = Array.from({ length: WALKS }, (_, i) => {
    const known = i % 2 === 0;
    const h = known ? hosts[(i / 2) % HOSTS]! : { mac: `52:54:01:${randomBytes(3).toString('hex').match(/../g)!.join(':')}`, ip: `10.201.0.${i % 250}` };
    const names = pxelinuxCandidates({ mac: h.mac, wireUuid: randomUUID(), ip: h.ip });
    // A known machine stops at 01-<mac>; keep its hex names out so both servers do the same work.
    return known ? names.slice(0, 2) : names;
  });

  const results: Record<string, Awaited<ReturnType<typeof measure>>> = {};
  const tftpd = await startTftpdHpa(staticRoot, 40_000 + (process.pid % 1000));
  try {
    await measure(tftpd, walks.slice(0, 200));
    results['tftpd-hpa'] = await measure(tftpd, walks);
  } finally {
    await tftpd.stop();
  }
  const bundle = await buildXenboot();
  const port = 41_000 + (process.pid % 1000);
  const config = {
    server: { address: '127.0.0.1' },
    log: { format: 'json', level: 'info' },
    http: { enabled: false },
    store: { kind: 'memory' },
    tftp: { port, root: join(dir, 'empty') },
    inventory: { profiles: [profile], hosts },
  };
  mkdirSync(join(dir, 'empty'));
  const proc = startProcess('taskset', ['-c', '0,1', process.execPath, bundle, 'serve', '--config', writeTempConfig(config, dir)], { cwd: repoRoot, env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  try {
    await proc.waitFor(/xenboot started/, 30_000);
    const xenboot: BenchServer = { name: 'xenboot', port, pid: proc.pid, stop: () => proc.stop() };
    await measure(xenboot, walks.slice(0, 200));
    results.xenboot = await measure(xenboot, walks);
  } finally {
    await proc.stop();
  }

  const x = results.xenboot!;
  const t = results['tftpd-hpa']!;
  console.log(`${HOSTS} hosts, ${WALKS} walks (half known: 2 RRQs, half unknown: 11 RRQs), ${CONCURRENCY} in flight`);
  console.log('| server | walks/s | RRQs/s | walk p50 ms | walk p99 ms | configs found | RRQ timeouts |');
  console.log('|---|---|---|---|---|---|---|');
  for (const [name, r] of Object.entries(results)) {
    console.log(`| ${name} | ${r.walksPerSecond.toFixed(0)} | ${r.rrqsPerSecond.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.found} | ${r.timeouts} |`);
  }
  console.log(`| ratio xenboot / tftpd-hpa | ${(x.walksPerSecond / t.walksPerSecond).toFixed(2)}× | ${(x.rrqsPerSecond / t.rrqsPerSecond).toFixed(2)}× | ${(x.p50 / t.p50).toFixed(2)}× | ${(x.p99 / t.p99).toFixed(2)}× | | |`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
