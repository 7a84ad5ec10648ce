/**
 * Boot-storm benchmark: N simulated PXELINUX clients against dnsmasq and against xenboot, serving the
 * same files in the same run, each server in a fresh pair of network namespaces.
 *
 *   npx tsx bench/storm/run.ts [--clients 100,500] [--servers dnsmasq,xenboot] [--variants tftp,http]
 *                              [--initrd-mib 30] [--max-transfers 1000] [--deadline-s 1500] [--rounds 1]
 *                              [--pin] [--client-processes 1] [--bulk-client node|c|c-poll]
 *                              [--baseline DIR] [--memory-probe] [--server-node-options '…']
 *
 * With --baseline DIR (a checkout of an earlier commit, with its `node_modules` and native addon built),
 * that build runs as a third server, `xenboot-baseline`, in every round beside xenboot and dnsmasq: a
 * change measured before and after in one run.
 * With --rounds N every server and variant runs N times, the order of the servers reversed every other
 * round (A B, B A, …), and the ratios are taken between the median runs: the machine's speed drifts
 * between runs far more than one run's noise. With --pin the server (every thread) runs on CPU 1 and the
 * client process on CPU 0, so neither steals the other's core (the client alone needs about one core).
 * With --client-processes K the clients are split over K client processes, so that the simulated
 * clients are not all bound to one Node event loop. With --bulk-client c each client fetches its three
 * boot files over TFTP with lab/clients/tftp-get.c (compiled here with cc), one process per file blocked
 * on its own socket like a real machine, instead of on the client process's shared event loop; its CPU
 * counts as client CPU. `c` blocks in recv() on a connected socket; `c-poll` is the first version of that
 * client, which waits in poll() and then calls recvfrom() (costlier for the client, see tftp-get.c).
 * With --memory-probe each xenboot server records its memory every 250 ms (bench/storm/memory-probe.mjs:
 * V8 heap, external and ArrayBuffer memory, RssAnon/RssFile) into memory.jsonl of its run, and the run
 * prints the breakdown at the server's peak RSS. --server-node-options sets NODE_OPTIONS for the xenboot
 * servers only (e.g. '--trace-gc'), never for the clients.
 * Needs root, dnsmasq, ethtool and iproute2. Prints a Markdown table and the ratios, and writes the raw
 * results to bench/out/storm-<time>/results.json.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cacheDir, ensureBootAssets } from '../../lab/qemu/assets.js';
import { requireCommands } from '../../lab/process.js';
import { repoRoot } from '../../lab/xenboot.js';
import type { StormPlan, StormReport } from './client-main.js';
import { medianRuns, ratios, summarise, table, type StormSummary } from './report.js';
import { buildXenboot, pin } from '../tftp/servers.js';
import { processUsage, startDnsmasqServer, startXenbootServer, threadUsage, type StormServer } from './servers.js';
import { createStormNet, type StormNet } from './storm-net.js';
import { buildTftpGet, type BulkTftpWait } from '../../lab/clients/tftp-get.js';
import { exitOnHelp } from '../usage.js';
import { peakMemory, type MemorySample } from './memory-report.js';

exitOnHelp(import.meta.url);

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '100,500' },
    servers: { type: 'string', default: 'dnsmasq,xenboot' },
    variants: { type: 'string', default: 'tftp,http' },
    'initrd-mib': { type: 'string', default: '30' },
    'max-transfers': { type: 'string', default: '1000' },
    'deadline-s': { type: 'string', default: '1500' },
    'spread-ms': { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '1' },
    pin: { type: 'boolean', default: false },
    'client-processes': { type: 'string', default: '1' },
    'bulk-client': { type: 'string', default: 'node' },
    baseline: { type: 'string' },
    'memory-probe': { type: 'boolean', default: false },
    'server-node-options': { type: 'string', default: '' },
  },
});

const BOOT_FILES = ['xen.gz', 'vmlinuz', 'initrd.img'];

function initrdFile(mib: number): string {
  const path = join(cacheDir, `storm-initrd-${mib}m.img`);
  if (!existsSync(path)) {
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(path, randomBytes(mib * 2 ** 20));
  }
  return path;
}

/** Runs one client process of the storm (its share of the clients) and returns its report. */
async function runClientProcess(net: StormNet, serverName: string, plan: StormPlan): Promise<StormReport> {
  const clientArgv = [process.execPath, '--import', 'tsx', join(repoRoot, 'bench/storm/client-main.ts'), JSON.stringify(plan)];
  const [command, ...args] = values.pin ? ['taskset', '-c', '0', ...clientArgv] : clientArgv;
  const client = net.client.spawn(command!, args, {
    cwd: repoRoot,
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  const killer = setTimeout(() => void client.stop('SIGKILL', 1_000), plan.deadlineMs + 30_000);
  await client.exited;
  clearTimeout(killer);
  const line = client.output().split('\n').find((l) => l.startsWith('{"wallMs"'));
  if (!line) throw new Error(`storm client printed no report:\n${client.output().slice(-3000)}`);
  const report = JSON.parse(line) as StormReport & { error?: string };
  if (report.error) console.error(`${serverName}: ${report.error}`);
  return report;
}

async function stormOnce(net: StormNet, server: StormServer, plan: StormPlan, variant: string): Promise<StormSummary> {
  const before = processUsage(server.process.pid);
  const threadsBefore = new Map(threadUsage(server.process.pid).map((t) => [t.tid, t]));
  if (values.pin) await pin(server.process.pid, '1');
  // With --client-processes K the clients are split into K processes started together (one Node
  // process is otherwise the storm's bottleneck); their results are merged.
  const processes = Math.max(1, Math.min(Number(values['client-processes']), plan.clients));
  const shares = Array.from({ length: processes }, (_, k) => {
    const firstIndex = Math.floor((plan.clients * k) / processes);
    return { ...plan, firstIndex, clients: Math.floor((plan.clients * (k + 1)) / processes) - firstIndex };
  });
  const reports = await Promise.all(shares.map((share) => runClientProcess(net, server.name, share)));
  const after = processUsage(server.process.pid);
  const threads = threadUsage(server.process.pid)
    .map((t) => ({ ...t, user: t.user - (threadsBefore.get(t.tid)?.user ?? 0), system: t.system - (threadsBefore.get(t.tid)?.system ?? 0) }))
    .filter((t) => t.user + t.system >= 0.5)
    .sort((a, b) => b.user + b.system - (a.user + a.system));
  console.log(`${server.name} ${variant}: server threads ${threads.map((t) => `${t.name}[${t.tid}] user ${t.user.toFixed(1)} s system ${t.system.toFixed(1)} s`).join('; ')}`);
  const clientCpuSplit = { processUser: 0, processSystem: 0, childrenUser: 0, childrenSystem: 0 };
  for (const report of reports) {
    for (const key of Object.keys(clientCpuSplit) as (keyof typeof clientCpuSplit)[]) clientCpuSplit[key] += report.clientCpuSplit?.[key] ?? NaN;
  }
  const split = Object.entries(clientCpuSplit).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ');
  console.log(`${server.name} ${variant}: client CPU ${split}`);
  const summary = summarise(
    server.name,
    variant,
    plan.clients,
    Math.max(...reports.map((r) => r.wallMs)),
    reports.flatMap((r) => r.results),
    { cpuSeconds: after.cpuSeconds - before.cpuSeconds, peakRssMiB: after.peakRssMiB },
    reports.reduce((sum, r) => sum + (r.clientCpuSeconds ?? NaN), 0),
    reports.reduce((sum, r) => sum + (r.clientWakeups ?? NaN), 0),
  );
  return { ...summary, clientCpuSplit };
}

async function main(): Promise<void> {
  await requireCommands('ip', 'dnsmasq', 'ethtool', 'apt-get', 'grub-mkimage');
  const assets = await ensureBootAssets();
  const workDir = join(repoRoot, 'bench', 'out', `storm-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const root = join(workDir, 'tftproot');
  mkdirSync(join(root, 'pxelinux.cfg'), { recursive: true });
  const files: Record<string, string> = {
    'pxelinux.0': assets.pxelinux,
    'ldlinux.c32': assets.ldlinux,
    'mboot.c32': assets.mboot,
    'libcom32.c32': assets.libcom32,
    'xen.gz': assets.xenGz,
    vmlinuz: assets.vmlinuz,
    'initrd.img': initrdFile(Number(values['initrd-mib'])),
  };
  for (const [name, source] of Object.entries(files)) linkSync(source, join(root, name));
  writeFileSync(
    join(root, 'pxelinux.cfg', 'default'),
    'DEFAULT xen\nLABEL xen\n  KERNEL mboot.c32\n  APPEND xen.gz dom0_mem=512M --- vmlinuz console=hvc0 --- initrd.img\n',
  );

  let bulkTftpProgram: string | undefined;
  const bulkTftpWait: BulkTftpWait = values['bulk-client'] === 'c-poll' ? 'poll' : 'recv';
  if (values['bulk-client'] === 'c' || values['bulk-client'] === 'c-poll') {
    await requireCommands('cc');
    bulkTftpProgram = join(workDir, 'tftp-get');
    const built = await buildTftpGet(bulkTftpProgram);
    if (built.code !== 0) throw new Error(`building tftp-get failed: ${built.stderr}`);
  } else if (values['bulk-client'] !== 'node') {
    throw new Error(`--bulk-client must be node, c or c-poll, not ${values['bulk-client']}`);
  }
  console.log(`boot files over TFTP fetched by: ${bulkTftpProgram ? `tftp-get (one C process per file, waiting in ${bulkTftpWait})` : 'the Node client process'}`);

  const rows: StormSummary[] = [];
  const clientCounts = values.clients.split(',').map(Number);
  const servers = values.servers.split(',');
  if (values.baseline && !servers.includes('xenboot-baseline')) servers.push('xenboot-baseline');
  const bundle = servers.includes('xenboot') ? await buildXenboot() : '';
  const baselineBundle = values.baseline ? await buildXenboot(values.baseline) : '';
  const variants = values.variants.split(',');
  const maxTransfers = Number(values['max-transfers']);
  const rounds = Number(values.rounds);
  let run = 0;
  for (const clients of clientCounts) {
    for (let round = 0; round < rounds; round += 1) {
      for (const serverName of round % 2 === 0 ? servers : [...servers].reverse()) {
        for (const variant of serverName === 'dnsmasq' ? ['tftp'] : variants) {
          run += 1;
          const runDir = join(workDir, `run-${run}-${serverName}-${variant}-${clients}`);
          mkdirSync(runDir, { recursive: true });
          const net = await createStormNet(runDir);
          const probe = join(runDir, 'memory.jsonl');
          const nodeOptions = [values['server-node-options'], values['memory-probe'] ? `--import=${join(repoRoot, 'bench/storm/memory-probe.mjs')}` : '']
            .filter((o) => o !== '')
            .join(' ');
          const serverEnv = { ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}), ...(values['memory-probe'] ? { XENBOOT_MEMORY_PROBE: probe } : {}) };
          try {
            const server =
              serverName === 'dnsmasq'
                ? await startDnsmasqServer(net.server, net.serverIface, root, runDir, maxTransfers)
                : serverName === 'xenboot-baseline'
                  ? await startXenbootServer(net.server, baselineBundle, root, runDir, maxTransfers, 'xenboot-baseline', serverEnv)
                  : await startXenbootServer(net.server, bundle, root, runDir, maxTransfers, 'xenboot', serverEnv);
            const plan: StormPlan = {
              clients,
              macPrefix: run,
              bootFiles: BOOT_FILES,
              httpBase: variant === 'http' ? server.httpBase : undefined,
              bulkTftpProgram,
              bulkTftpWait,
              spreadMs: Number(values['spread-ms']),
              deadlineMs: Number(values['deadline-s']) * 1000,
            };
            const summary = await stormOnce(net, server, plan, variant);
            rows.push(summary);
            console.log(
              table([summary]).split('\n').slice(2).join('\n'),
              summary.firstErrors.length ? `errors: ${summary.firstErrors.join(' | ')}` : '',
              summary.retransmits > 0 ? `retransmits by file: ${JSON.stringify(summary.retransmitsByFile)}` : '',
            );
            writeFileSync(join(runDir, 'server.log'), server.process.output());
            if (values['memory-probe'] && serverName !== 'dnsmasq' && existsSync(probe)) {
              const samples = readFileSync(probe, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as MemorySample);
              const peak = peakMemory(samples);
              if (peak) console.log(`${serverName} ${variant}: memory at peak RSS ${peak}`);
            }
          } finally {
            await net.close();
          }
        }
      }
    }
  }
  const medians = rounds > 1 ? medianRuns(rows) : rows;
  const text = [table(rows), '', ...(rounds > 1 ? [`median run of ${rounds} per server and variant:`, '', table(medians), ''] : []), ratios(medians)].join('\n');
  console.log('\n' + text);
  writeFileSync(join(workDir, 'results.json'), JSON.stringify(rows, null, 2) + '\n');
  writeFileSync(join(workDir, 'results.md'), text + '\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
