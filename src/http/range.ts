/**
 * HTTP Range requests (RFC 9110 §14): one `bytes=` range is honoured; several ranges are answered with the
 * whole file (the RFC lets a server ignore Range), an unsatisfiable one with 416. Pure.
 */

/** The part of a representation to send. */
export type RangeDecision =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number } // inclusive end, as in Content-Range
  | { kind: 'unsatisfiable' };

/** Decides what to send for a `Range` header value and a representation of `size` bytes. */
export function decideRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined) return { kind: 'full' };
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  // Multiple ranges, other units or garbage: ignore the header (§14.2: a server MAY ignore Range).
  if (!match) return { kind: 'full' };
  const [, first, last] = match;
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
