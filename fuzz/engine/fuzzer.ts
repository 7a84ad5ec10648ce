/**
 * The fuzzing loop for one target, bounded in time and in executions:
 * 1. every seed (and every input kept by earlier runs, and every saved regression) is run once and kept
 *    when it adds coverage;
 * 2. then, until the time is up: pick a kept input, mutate it (`mutate.ts`), run it, keep it when it
 *    reached a new feature (`coverage.ts`);
 * 3. an input whose run throws (see `target.ts`) or takes longer than the target's `slowMs` (confirmed by
 *    running it twice more) is a finding: saved with its message, shrunk first when it is a crash.
 * Findings are counted once per signature (kind, error class, message with its numbers blurred, first
 * frame in `src/`).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { BlockCoverage } from './coverage.js';
import { mutate } from './mutate.js';
import { Random } from './random.js';
import type { FuzzTarget } from './target.js';

/** How one run goes. */
export interface FuzzOptions {
  seconds: number;
  seed: number;
  /** Upper bound on executions (besides time); default unbounded. */
  maxExecutions?: number;
  /** Where inputs that added coverage are kept between runs (`<dir>/<target>/`); none = not kept. */
  corpusDir?: string;
  /** Where findings are written (`<dir>/<target>/`); none = not written. */
  findingsDir?: string;
  /** Saved regression inputs (`<dir>/<target>/`), replayed first and used as seeds. */
  regressionsDir?: string;
  /** Stop at the first finding (for tests of the fuzzer itself). */
  stopAtFirstFinding?: boolean;
  /** Called with each input just before it runs (the hang watchdog keeps the last one). */
  beforeRun?: (data: Buffer) => void;
}

/** One defect found. */
export interface Finding {
  kind: 'crash' | 'slow' | 'hang';
  signature: string;
  message: string;
  /** The input, hex-encoded (also written to `findingsDir` when given). */
  inputHex: string;
  /** Where the input was written, if it was. */
  file?: string;
}

/** What one run did. */
export interface FuzzReport {
  target: string;
  seconds: number;
  executions: number;
  seeds: number;
  corpus: number;
  features: number;
  blocks: number;
  slowestMs: number;
  findings: Finding[];
}

const DEFAULT_SLOW_MS = 100;

function sha1(data: Buffer): string {
  return createHash('sha1').update(data).digest('hex');
}

function readInputs(dir: string | undefined): Buffer[] {
  if (!dir || !existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => !name.endsWith('.txt') && !name.startsWith('.'))
    .sort()
    .map((name) => readFileSync(join(dir, name)));
}

/** Kind of failure and where it was thrown, with numbers blurred so one defect is one signature. */
export function failureSignature(error: unknown): string {
  if (!(error instanceof Error)) return `non-error ${typeof error}`;
  const firstLine = error.message.split('\n')[0]!.replace(/\d+/g, 'N').replace(/"[^"]*"/g, '"…"').slice(0, 120);
  const frame = (error.stack ?? '').split('\n').find((line) => line.includes('/src/')) ?? '';
  const where = /\/(src\/[^:)]+)/.exec(frame)?.[1] ?? '';
  return `${error.name}: ${firstLine}${where ? ` @ ${where}` : ''}`;
}

/** Runs `target` once on `data`: the error it threw (or `null`) and the time it took. */
function execute(target: FuzzTarget, data: Buffer): { error: unknown; ms: number } {
  const started = performance.now();
  try {
    target.run(data);
    return { error: null, ms: performance.now() - started };
  } catch (error) {
    return { error: error ?? new Error('thrown undefined'), ms: performance.now() - started };
  }
}

/** Shrinks a crashing input while it still fails with the same signature (bounded: 2 s, 2000 tries). */
function shrink(target: FuzzTarget, data: Buffer, signature: string): Buffer {
  let best = data;
  const deadline = performance.now() + 2000;
  let tries = 0;
  for (let chunk = best.length >> 1; chunk >= 1; chunk >>= 1) {
    for (let at = 0; at + chunk <= best.length && tries < 2000 && performance.now() < deadline; ) {
      const candidate = Buffer.concat([best.subarray(0, at), best.subarray(at + chunk)]);
      tries += 1;
      const { error } = execute(target, candidate);
      if (error !== null && failureSignature(error) === signature) best = candidate;
      else at += chunk;
    }
  }
  return best;
}

/** Fuzzes one target for `options.seconds`; returns what it did and found. */
export function fuzz(target: FuzzTarget, options: FuzzOptions): FuzzReport {
  const random = new Random(options.seed);
  const slowMs = target.slowMs ?? DEFAULT_SLOW_MS;
  const patterns = target.coverage ?? ['/src/'];
  const coverage = new BlockCoverage((url) => patterns.some((p) => url.includes(p)));
  const dictionary = target.dictionary.map((token) => Buffer.from(token, 'latin1'));
  const corpusDir = options.corpusDir ? join(options.corpusDir, target.name) : undefined;
  const findingsDir = options.findingsDir ? join(options.findingsDir, target.name) : undefined;
  const seen = new Set<number>();
  const corpus: Buffer[] = [];
  const corpusHashes = new Set<string>();
  const findings = new Map<string, Finding>();
  let executions = 0;
  let slowestMs = 0;

  const record = (kind: Finding['kind'], signature: string, message: string, data: Buffer): void => {
    if (findings.has(signature)) return;
    const finding: Finding = { kind, signature, message, inputHex: data.toString('hex') };
    if (findingsDir) {
      mkdirSync(findingsDir, { recursive: true });
      finding.file = join(findingsDir, `${kind}-${sha1(data).slice(0, 12)}`);
      writeFileSync(finding.file, data);
      writeFileSync(`${finding.file}.txt`, `${signature}\n\n${message}\n`);
    }
    findings.set(signature, finding);
  };

  const tryInput = (data: Buffer, keepAlways: boolean): void => {
    options.beforeRun?.(data);
    // Only the code under test counts (`patterns`), so the fuzzer's own work since the last take adds
    // nothing here, and one take per execution is enough (each take costs a walk over the heap).
    let { error, ms } = execute(target, data);
    const features = coverage.take();
    executions += 1;
    if (error !== null) {
      const signature = failureSignature(error);
      if (!findings.has(signature)) {
        const small = shrink(target, data, signature);
        const again = execute(target, small).error ?? error;
        record('crash', signature, again instanceof Error ? (again.stack ?? again.message) : String(again), small);
        coverage.reset();
      }
      return;
    }
    if (ms > slowMs) {
      // Confirm: the machine may simply have been busy.
      for (let i = 0; i < 2 && ms > slowMs; i += 1) ms = Math.min(ms, execute(target, data).ms);
      if (ms > slowMs) record('slow', `slow: over ${slowMs} ms`, `${ms.toFixed(1)} ms on ${data.length} bytes (limit ${slowMs} ms)`, data);
      coverage.reset();
    }
    slowestMs = Math.max(slowestMs, ms);
    let added = false;
    for (const feature of features) {
      if (!seen.has(feature)) {
        seen.add(feature);
        added = true;
      }
    }
    if (!added && !keepAlways) return;
    const hash = sha1(data);
    if (corpusHashes.has(hash)) return;
    corpusHashes.add(hash);
    corpus.push(data);
    if (corpusDir && added) {
      mkdirSync(corpusDir, { recursive: true });
      writeFileSync(join(corpusDir, hash), data);
    }
  };

  coverage.start();
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const maxExecutions = options.maxExecutions ?? Number.POSITIVE_INFINITY;
  try {
    const seeds = [...target.seeds(), ...readInputs(options.regressionsDir && join(options.regressionsDir, target.name)), ...readInputs(corpusDir)];
    coverage.reset();
    for (const seed of seeds) tryInput(seed.length > target.maxLength ? seed.subarray(0, target.maxLength) : seed, false);
    if (corpus.length === 0) tryInput(Buffer.alloc(0), true);
    const context = { random, dictionary, corpus, maxLength: target.maxLength };
    const stop = () => options.stopAtFirstFinding === true && findings.size > 0;
    while (executions < maxExecutions && performance.now() < deadline && !stop()) {
      tryInput(mutate(random.pick(corpus), context), false);
    }
    return {
      target: target.name,
      seconds: (performance.now() - started) / 1000,
      executions,
      seeds: seeds.length,
      corpus: corpus.length,
      features: seen.size,
      blocks: coverage.blockCount,
      slowestMs,
      findings: [...findings.values()],
    };
  } finally {
    coverage.stop();
  }
}
