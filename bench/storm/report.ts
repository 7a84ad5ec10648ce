/**
 * Summaries of a storm run and the comparison table (xenboot ÷ dnsmasq). Pure.
 */
import type { StormClientResult } from './pxelinux-client.js';
import type { ProcessUsage } from './servers.js';

/** One server's storm, summarised. */
export interface StormSummary {
  server: string;
  variant: string;
  clients: number;
  completed: number;
  failures: number;
  totalSeconds: number;
  p50Seconds: number;
  p99Seconds: number;
  gib: number;
  retransmits: number;
  /** Client retransmissions per file, config lookups (pxelinux.cfg/…) counted together. */
  retransmitsByFile: Record<string, number>;
  cpuSeconds: number;
  peakRssMiB: number;
  clientCpuSeconds: number;
  /** Times the client processes blocked and were woken (voluntary context switches; not counting tftp-get). */
  clientWakeups: number;
  /** Client CPU seconds by where they went: the Node client processes and the programs they ran (tftp-get). */
  clientCpuSplit?: { processUser: number; processSystem: number; childrenUser: number; childrenSystem: number };
  firstErrors: string[];
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}

/** Summarises the client results and the server's resource use. */
export function summarise(
  server: string,
  variant: string,
  clients: number,
  wallMs: number,
  results: StormClientResult[],
  usage: ProcessUsage,
  clientCpuSeconds: number,
  clientWakeups = NaN,
): StormSummary {
  const ok = results.filter((r) => r.ok);
  const times = ok.map((r) => r.durationMs / 1000).sort((a, b) => a - b);
  const errors = [...new Set(results.filter((r) => !r.ok).map((r) => r.error ?? 'unknown'))];
  return {
    server,
    variant,
    clients,
    completed: ok.length,
    failures: clients - ok.length,
    totalSeconds: wallMs / 1000,
    p50Seconds: percentile(times, 50),
    p99Seconds: percentile(times, 99),
    gib: results.reduce((n, r) => n + r.bytes, 0) / 2 ** 30,
    retransmits: results.reduce((n, r) => n + r.retransmits, 0),
    retransmitsByFile: retransmitsByFile(results),
    cpuSeconds: usage.cpuSeconds,
    peakRssMiB: usage.peakRssMiB,
    clientCpuSeconds,
    clientWakeups,
    firstErrors: errors.slice(0, 3),
  };
}

const f = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/** A Markdown table of summaries. */
export function table(rows: StormSummary[]): string {
  const lines = [
    '| server | variant | clients | completed | failures | total s | p50 s | p99 s | GiB | retransmits | server CPU s | server peak RSS MiB | client CPU s | client wake-ups |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(`| ${r.server} | ${r.variant} | ${r.clients} | ${r.completed} | ${r.failures} | ${f(r.totalSeconds)} | ${f(r.p50Seconds)} | ${f(r.p99Seconds)} | ${f(r.gib, 2)} | ${r.retransmits} | ${f(r.cpuSeconds)} | ${f(r.peakRssMiB, 0)} | ${f(r.clientCpuSeconds)} | ${Number.isFinite(r.clientWakeups) ? r.clientWakeups : 'n/a'} |`);
  }
  return lines.join('\n');
}

/** Per server, variant and client count, the run with the median total time (rows of several rounds). */
export function medianRuns(rows: StormSummary[]): StormSummary[] {
  const groups = new Map<string, StormSummary[]>();
  for (const row of rows) {
    const key = `${row.server} ${row.variant} ${row.clients}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups.values()].map((group) => [...group].sort((a, b) => a.totalSeconds - b.totalSeconds)[Math.floor(group.length / 2)]!);
}

/** Ratios of xenboot to the dnsmasq TFTP run with the same client count (lower is better for xenboot). */
export function ratios(rows: StormSummary[]): string {
  const lines: string[] = [];
  for (const x of rows.filter((r) => r.server === 'xenboot')) {
    const d = rows.find((r) => r.server === 'dnsmasq' && r.clients === x.clients);
    if (!d) continue;
    lines.push(
      `- ${x.clients} clients, xenboot ${x.variant} ÷ dnsmasq tftp: total ${f(x.totalSeconds / d.totalSeconds, 2)}, ` +
        `p50 ${f(x.p50Seconds / d.p50Seconds, 2)}, p99 ${f(x.p99Seconds / d.p99Seconds, 2)}, CPU ${f(x.cpuSeconds / d.cpuSeconds, 2)}, ` +
        `peak RSS ${f(x.peakRssMiB / d.peakRssMiB, 2)}`,
    );
  }
  for (const x of rows.filter((r) => r.server === 'xenboot')) {
    const b = rows.find((r) => r.server === 'xenboot-baseline' && r.clients === x.clients && r.variant === x.variant);
    if (!b) continue;
    lines.push(
      `- ${x.clients} clients, xenboot ${x.variant} ÷ xenboot-baseline ${b.variant}: total ${f(x.totalSeconds / b.totalSeconds, 2)}, ` +
        `p50 ${f(x.p50Seconds / b.p50Seconds, 2)}, p99 ${f(x.p99Seconds / b.p99Seconds, 2)}, CPU ${f(x.cpuSeconds / b.cpuSeconds, 2)}, ` +
        `peak RSS ${f(x.peakRssMiB / b.peakRssMiB, 2)}`,
    );
  }
  return lines.join('\n');
}

function retransmitsByFile(results: StormClientResult[]): Record<string, number> {
  const byFile: Record<string, number> = {};
  for (const result of results) {
    for (const [file, count] of Object.entries(result.retransmitsByFile ?? {})) {
      const key = file.startsWith('pxelinux.cfg/') ? 'pxelinux.cfg/*' : file;
      byFile[key] = (byFile[key] ?? 0) + count;
    }
  }
  return byFile;
}
