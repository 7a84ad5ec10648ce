/**
 * Reading bench/storm/memory-probe.mjs's samples: the breakdown at the sample of highest RSS. Pure.
 */

/** One line of memory.jsonl (MiB, `t` in ms since the server started). */
export interface MemorySample {
  t: number;
  rss: number;
  rssAnon: number | null;
  rssFile: number | null;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  spaces: Record<string, number>;
}

/**
 * The sample with the highest RSS, as one line: RSS (anonymous / file), the V8 heap (total, used, new
 * space), external memory and ArrayBuffers, and what is left (RSS less heap and ArrayBuffers: code,
 * native allocations, malloc's free lists); `null` without samples.
 */
export function peakMemory(samples: readonly MemorySample[]): string | null {
  if (samples.length === 0) return null;
  const peak = samples.reduce((a, b) => (b.rss > a.rss ? b : a));
  const maxOf = (key: 'heapTotal' | 'external' | 'arrayBuffers') => Math.max(...samples.map((s) => s[key]));
  const rest = peak.rss - peak.heapTotal - peak.arrayBuffers;
  return (
    `${peak.rss} MiB at ${(peak.t / 1000).toFixed(1)} s (anon ${peak.rssAnon}, file ${peak.rssFile}): ` +
    `heap ${peak.heapTotal} (used ${peak.heapUsed}, new ${peak.spaces.new ?? '?'}), external ${peak.external}, arrayBuffers ${peak.arrayBuffers}, ` +
    `rest ${rest.toFixed(1)}; run maxima: heap ${maxOf('heapTotal')}, external ${maxOf('external')}, arrayBuffers ${maxOf('arrayBuffers')}`
  );
}
