/**
 * The fuzzer itself: coverage guides it to a crash behind nested conditions that blind mutation would not
 * reach, a slow input is reported, a hung worker is stopped and its input kept, and mutations stay within
 * a target's length.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countBucket } from '../../fuzz/engine/coverage.js';
import { fuzz } from '../../fuzz/engine/fuzzer.js';
import { mutate } from '../../fuzz/engine/mutate.js';
import { Random } from '../../fuzz/engine/random.js';
import { superviseFuzzing } from '../../fuzz/engine/supervise.js';
import { nestedBranches, slowPath } from './fixtures/planted-targets.js';
import { repoRoot } from '../../lab/xenboot.js';

const PLANTED = new URL('./fixtures/planted-targets.ts', import.meta.url).href;

describe('the fuzzing loop', () => {
  it('finds a crash behind five nested byte conditions, and shrinks the input', { timeout: 60_000 }, async () => {
    // In a worker, as `npm run fuzz` runs it: a small heap keeps each coverage read cheap.
    const report = await superviseFuzzing(
      'planted-nested',
      { module: PLANTED, exportName: 'nestedBranches', options: { seconds: 40, seed: 5, maxExecutions: 20_000, stopAtFirstFinding: true } },
      10,
    );
    const crash = report.findings.find((f) => f.kind === 'crash');
    console.log(`planted crash found after ${report.executions} executions in ${report.seconds.toFixed(1)} s`);
    expect(crash?.signature).toMatch(/^PlantedCrash: planted crash reached/);
    // Every level of the chain was kept on the way: the seed plus at least one input per condition met.
    expect(report.corpus).toBeGreaterThanOrEqual(5);
    const input = Buffer.from(crash!.inputHex, 'hex');
    expect(input.length).toBe(5);
    expect(() => nestedBranches.run(input)).toThrow('planted crash reached');
  });

  it('reports an input slower than the target allows, and nothing for the fast ones', () => {
    const report = fuzz(slowPath, { seconds: 1, seed: 1 });
    expect(report.findings.map((f) => f.kind)).toEqual(['slow']);
    expect(Buffer.from(report.findings[0]!.inputHex, 'hex')[0]).toBe(0x53);
  });

  it('stops a worker stuck in an endless loop and keeps the input that did it', { timeout: 60_000 }, async () => {
    const started = performance.now();
    const report = await superviseFuzzing(
      'planted-hang',
      { module: PLANTED, exportName: 'endlessLoop', options: { seconds: 30, seed: 1 } },
      1,
    );
    expect(report.findings.map((f) => f.kind)).toEqual(['hang']);
    expect(Buffer.from(report.findings[0]!.inputHex, 'hex').toString()).toMatch(/^H/);
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it('reports a worker that cannot load its target as an error, not a hang', async () => {
    await expect(
      superviseFuzzing('missing', { module: PLANTED, exportName: 'noSuchTarget', options: { seconds: 1, seed: 1 } }, 5),
    ).rejects.toThrow(/exports no fuzz target "noSuchTarget"/);
  });
});

describe('mutations', () => {
  it('never exceed the maximum length, and the same seed gives the same inputs', () => {
    const run = (seed: number) => {
      const random = new Random(seed);
      const corpus = [Buffer.from('bytes=0-99'), Buffer.from('GET /x')];
      const out: string[] = [];
      let input: Buffer = corpus[0]!;
      for (let i = 0; i < 2000; i += 1) {
        input = mutate(input, { random, dictionary: [Buffer.from('=')], corpus, maxLength: 100 });
        expect(input.length).toBeLessThanOrEqual(100);
        out.push(input.toString('hex'));
      }
      return out;
    };
    const a = run(42);
    expect(run(42)).toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(1000);
  });

  it('counts hits in AFL buckets', () => {
    expect([0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 127, 128, 1e6].map(countBucket)).toEqual([0, 1, 2, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8]);
  });
});

it('the repository root the seeds are read from holds the captures', () => {
  expect(join(repoRoot, 'test', 'fixtures', 'captures')).toContain('test/fixtures/captures');
});
