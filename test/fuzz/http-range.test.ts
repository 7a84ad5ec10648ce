/**
 * Found by `npm run fuzz` (target `http-range`): the Range parser was one regular expression in which
 * two whitespace runs could meet around an empty number, so a header of spaces cost quadratic
 * backtracking: 1.3 s of event loop for 16 KiB (Node's header limit), on the unauthenticated boot-file
 * endpoint. Now linear; the decisions are unchanged.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideRange } from '../../src/http/range.js';
import { buildHarness, type Harness } from '../../lab/http/harness.js';
import { repoRoot } from '../../lab/xenboot.js';
import { httpRange } from '../../fuzz/targets/http-range.js';

const HEADER_LIMIT = 16 * 1024;

/** Headers an attacker can send: long whitespace runs where the grammar allows whitespace. */
const HOSTILE = [
  `bytes=${' '.repeat(HEADER_LIMIT)}x`,
  `bytes=-${' '.repeat(HEADER_LIMIT)}x`,
  `bytes=0${' '.repeat(HEADER_LIMIT)}x`,
  `bytes${'\t'.repeat(HEADER_LIMIT)}x`,
];

/** Fastest of five calls, in ms. */
function fastest(header: string): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i += 1) {
    const started = performance.now();
    decideRange(header, 1000);
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

/** The same hostile shape with a whitespace run of `length`. */
function hostileOf(index: number, length: number): string {
  return HOSTILE[index]!.replace(/[ \t]{16384}/, (run) => run[0]!.repeat(length));
}

describe('Range headers of 16 KiB', () => {
  it('are decided in linear time: sixteen times the whitespace costs about sixteen times as long, not 256 times', () => {
    // A ratio within one run, not a time limit, so a loaded machine does not decide the outcome. The
    // quadratic regular expression took 1.3 s for 16 KiB; linear work grows 16× from 4 KiB to 64 KiB.
    for (const [index, header] of HOSTILE.entries()) {
      expect(decideRange(header, 1000)).toEqual({ kind: 'full' });
      const small = fastest(hostileOf(index, 4096));
      const large = fastest(hostileOf(index, 65536));
      expect(large / Math.max(small, 0.01), `${JSON.stringify(header.slice(0, 12))}: ${small.toFixed(3)} ms → ${large.toFixed(3)} ms`).toBeLessThan(64);
    }
  });

  it('with whitespace around a valid range still give that range', () => {
    const pad = ' '.repeat(4000);
    expect(decideRange(`${pad}bytes${pad}=${pad}10${pad}-${pad}19${pad}`, 1000)).toEqual({ kind: 'partial', start: 10, end: 19 });
    expect(decideRange(`BYTES =\t-${pad}5`, 1000)).toEqual({ kind: 'partial', start: 995, end: 999 });
    expect(decideRange('bytes=1-2-3', 1000)).toEqual({ kind: 'full' });
    expect(decideRange('bytes=1+-2', 1000)).toEqual({ kind: 'full' });
    expect(decideRange('bytes=5-', 1000)).toEqual({ kind: 'partial', start: 5, end: 999 });
    expect(decideRange('bytes=2000-', 1000)).toEqual({ kind: 'unsatisfiable' });
    expect(decideRange('bytes=-0', 1000)).toEqual({ kind: 'unsatisfiable' });
  });

  it('the fuzzer\'s saved input passes the target (answer inside the file, under its time limit)', () => {
    const dir = join(repoRoot, 'fuzz', 'regressions', 'http-range');
    const inputs = readdirSync(dir);
    expect(inputs.length).toBeGreaterThan(0);
    for (const name of inputs) {
      const data = readFileSync(join(dir, name));
      let best = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 3; i += 1) {
        const started = performance.now();
        httpRange.run(data);
        best = Math.min(best, performance.now() - started);
      }
      expect(best, name).toBeLessThan(httpRange.slowMs!);
    }
  });
});

describe('a boot-file request with a hostile Range header', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await buildHarness();
    writeFileSync(join(h.root, 'kernel'), Buffer.alloc(1000, 7));
  });
  afterAll(async () => {
    await h.close();
  });

  it('is answered with the whole file at once, and a normal range request still works', async () => {
    const hostile = await h.app.inject({ url: '/kernel', headers: { range: HOSTILE[1]! } });
    expect(hostile.statusCode).toBe(200);
    expect(hostile.rawPayload.length).toBe(1000);
    const ranged = await h.app.inject({ url: '/kernel', headers: { range: 'bytes=10-19' } });
    expect(ranged.statusCode).toBe(206);
    expect(ranged.headers['content-range']).toBe('bytes 10-19/1000');
  });
});
