/**
 * Block coverage of the code under test, read from V8 itself: `Profiler.startPreciseCoverage` with
 * `callCount` and `detailed` (block granularity) over an in-thread inspector session, and
 * `Profiler.takePreciseCoverage` after each execution (taking also resets the counters, so each take
 * describes one execution). No instrumentation pass and no native addon: the counters are V8's own.
 *
 * V8 reports, per function that ran, a tree of source ranges where a nested range appears only when its
 * count differs from its parent's (a branch taken exactly as often as its function is merged into it).
 * So a block's count is that of the innermost reported range containing it, and a block seen once is
 * remembered to be looked up in later executions. A feature is (block, count bucket) with AFL's buckets
 * (1, 2, 3, 4–7, 8–15, 16–31, 32–127, 128+): an input is kept when it reaches a block no earlier input
 * reached, or runs a loop a new order of magnitude of times.
 */
import { Session } from 'node:inspector';

interface CoverageRange {
  startOffset: number;
  endOffset: number;
  count: number;
}

interface FunctionCoverage {
  functionName: string;
  ranges: CoverageRange[];
}

interface ScriptCoverage {
  url: string;
  functions: FunctionCoverage[];
}

/** AFL's hit-count buckets: 0 for not reached, then 1..8. */
export function countBucket(count: number): number {
  if (count <= 0) return 0;
  if (count <= 3) return count;
  if (count <= 7) return 4;
  if (count <= 15) return 5;
  if (count <= 31) return 6;
  if (count <= 127) return 7;
  return 8;
}

/** Reads V8's block counters after each execution and turns them into numbered features. */
export class BlockCoverage {
  private readonly session = new Session();
  /** Every block ever reported, per function (`url|functionStart`): `start:end` → [start, end]. */
  private readonly knownBlocks = new Map<string, Map<string, [number, number]>>();
  /** Feature string → small number, so feature sets stay cheap. */
  private readonly featureIds = new Map<string, number>();

  /** `includes(url)` chooses the scripts whose blocks count (the code under test, not the fuzzer). */
  constructor(private readonly includes: (url: string) => boolean) {}

  /** Starts counting. The in-thread session answers synchronously, so `post` can return its result. */
  start(): void {
    this.session.connect();
    this.post('Profiler.enable');
    this.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  }

  /** Stops counting and disconnects. */
  stop(): void {
    this.post('Profiler.stopPreciseCoverage');
    this.post('Profiler.disable');
    this.session.disconnect();
  }

  /** Discards the counts so far (the fuzzer's own work between executions). */
  reset(): void {
    this.post('Profiler.takePreciseCoverage');
  }

  /** Blocks known so far in the code under test. */
  get blockCount(): number {
    let total = 0;
    for (const blocks of this.knownBlocks.values()) total += blocks.size;
    return total;
  }

  /** The features of the execution since the last `take`/`reset`, as feature numbers. */
  take(): number[] {
    const { result } = this.post('Profiler.takePreciseCoverage') as { result: ScriptCoverage[] };
    const features: number[] = [];
    for (const script of result) {
      if (!this.includes(script.url)) continue;
      for (const fn of script.functions) {
        const ranges = fn.ranges;
        if (ranges.length === 0 || ranges[0]!.count === 0) continue;
        const functionKey = `${script.url}|${ranges[0]!.startOffset}`;
        let blocks = this.knownBlocks.get(functionKey);
        if (!blocks) this.knownBlocks.set(functionKey, (blocks = new Map()));
        for (const range of ranges) blocks.set(`${range.startOffset}:${range.endOffset}`, [range.startOffset, range.endOffset]);
        for (const [blockKey, [start, end]] of blocks) {
          const bucket = countBucket(innermostCount(ranges, start, end));
          if (bucket === 0) continue;
          features.push(this.featureId(`${functionKey}|${blockKey}|${bucket}`));
        }
      }
    }
    return features;
  }

  private featureId(key: string): number {
    let id = this.featureIds.get(key);
    if (id === undefined) this.featureIds.set(key, (id = this.featureIds.size));
    return id;
  }

  private post(method: string, params: object = {}): unknown {
    let answered = false;
    let failure: Error | null = null;
    let value: unknown;
    this.session.post(method, params, (error, result) => {
      answered = true;
      failure = error;
      value = result;
    });
    if (!answered) throw new Error(`inspector did not answer ${method} synchronously`);
    if (failure) throw failure;
    return value;
  }
}

/** The count of the smallest reported range containing [start, end) (the function's own range at least). */
function innermostCount(ranges: readonly CoverageRange[], start: number, end: number): number {
  let best = ranges[0]!;
  for (const range of ranges) {
    if (range.startOffset <= start && range.endOffset >= end && range.endOffset - range.startOffset <= best.endOffset - best.startOffset) {
      best = range;
    }
  }
  return best.count;
}
