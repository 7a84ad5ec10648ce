/**
 * The HTTP `Range` parser (`decideRange`) on any header value (bytes 4.. as latin1, which is how Node
 * hands header values over) for a file of the size in bytes 0–3. Checked: a partial answer lies inside
 * the file (integers, 0 ≤ start ≤ end < size); no header costs more than 20 ms (the value can be as
 * long as Node's 16 KiB header limit, and every boot-file request passes through here without a token);
 * and on headers short enough for backtracking to be cheap, the decision is the one the grammar as a
 * single regular expression gives (the parser's first form, which a 16 KiB header made take a second).
 */
import { isDeepStrictEqual } from 'node:util';
import { decideRange, type RangeDecision } from '../../src/http/range.js';
import { check, type FuzzTarget } from '../engine/target.js';

/** `bytes=<first>-<last>` with optional whitespace, as one regular expression: the reference grammar. */
const REFERENCE = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i;
/** Headers up to this length are also checked against `REFERENCE` (its backtracking is quadratic). */
const REFERENCE_MAX = 256;

/** What `decideRange` should answer, by the reference grammar. */
function referenceDecision(header: string, size: number): RangeDecision {
  const match = REFERENCE.exec(header);
  if (!match) return { kind: 'full' };
  const [, first, last] = match as unknown as [string, string, string];
  if (first === '' && last === '') return { kind: 'full' };
  if (first === '') {
    const length = Number(last);
    return length === 0 || size === 0 ? { kind: 'unsatisfiable' } : { kind: 'partial', start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return { kind: 'unsatisfiable' };
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  return end < start ? { kind: 'full' } : { kind: 'partial', start, end };
}

function seed(size: number, header: string): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(size, 0);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1')]);
}

/** The Range parsing target. */
export const httpRange: FuzzTarget = {
  name: 'http-range',
  description: 'decideRange on any header value: answers inside the file, and fast on any 16 KiB header',
  maxLength: 4 + 16 * 1024,
  slowMs: 20,
  dictionary: ['bytes', 'BYTES', '=', '-', ',', ' ', '\t', '\n', '\xa0', '0', '1', '9', '99999999999999999999', 'items'],
  seeds: () => [seed(1000, 'bytes=0-99'), seed(1000, 'bytes=-100'), seed(1000, 'bytes=500-'), seed(10, 'bytes = 2 - 3 '), seed(0, 'bytes=0-0'), seed(1000, 'bytes=0-1,4-5'), seed(1000, 'items=0-1')],
  run(data) {
    if (data.length < 4) return;
    const size = data.readUInt32BE(0);
    const header = data.subarray(4).toString('latin1');
    const decision = decideRange(header, size);
    if (header.length <= REFERENCE_MAX) {
      const expected = referenceDecision(header, size);
      check(isDeepStrictEqual(decision, expected), () => `${JSON.stringify(header)} on ${size} bytes: ${JSON.stringify(decision)}, the grammar says ${JSON.stringify(expected)}`);
    }
    if (decision.kind !== 'partial') return;
    const { start, end } = decision;
    check(Number.isSafeInteger(start) && Number.isSafeInteger(end), `partial range ${start}-${end} is not made of integers`);
    check(start >= 0 && start <= end && end < size, `partial range ${start}-${end} is outside a file of ${size} bytes`);
  },
};
