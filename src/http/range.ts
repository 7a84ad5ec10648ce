/**
 * HTTP Range requests (RFC 9110 §14): one `bytes=` range is honoured; several ranges are answered with the
 * whole file (the RFC lets a server ignore Range), an unsatisfiable one with 416. Pure.
 */

/** The part of a representation to send. */
export type RangeDecision =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number } // inclusive end, as in Content-Range
  | { kind: 'unsatisfiable' };

const DIGITS = /^\d*$/;

/**
 * Splits `bytes=<first>-<last>` (either number may be empty, whitespace allowed around each part and the
 * `=`) into its two numbers as text; `null` for anything else. Written without one regular expression
 * over the whole value: `\s*(\d*)\s*` lets two whitespace runs meet around an empty number, and a header
 * of 16 KiB of spaces then cost over a second of backtracking (found by `npm run fuzz`). Each step
 * here is linear in the header's length.
 */
function splitByteRange(header: string): { first: string; last: string } | null {
  const value = header.trim();
  if (value.slice(0, 5).toLowerCase() !== 'bytes') return null;
  const afterUnit = value.slice(5).trimStart();
  if (!afterUnit.startsWith('=')) return null;
  const spec = afterUnit.slice(1);
  const dash = spec.indexOf('-');
  if (dash === -1) return null;
  const first = spec.slice(0, dash).trim();
  const last = spec.slice(dash + 1).trim();
  return DIGITS.test(first) && DIGITS.test(last) ? { first, last } : null;
}

/** Decides what to send for a `Range` header value and a representation of `size` bytes. */
export function decideRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined) return { kind: 'full' };
  const parsed = splitByteRange(header);
  // Multiple ranges, other units or garbage: ignore the header (§14.2: a server MAY ignore Range).
  if (!parsed) return { kind: 'full' };
  const { first, last } = parsed;
  if (first === '' && last === '') return { kind: 'full' };
  if (first === '') {
    // Suffix range: the last N bytes (§14.1.2).
    const length = Number(last);
    if (length === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return { kind: 'unsatisfiable' };
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (end < start) return { kind: 'full' }; // invalid range-spec: ignored (§14.1.1)
  return { kind: 'partial', start, end };
}
