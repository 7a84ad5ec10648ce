import { describe, expect, it } from 'vitest';
import { Admission } from '../../src/tftp/admission.js';

function setup(limits: Partial<ConstructorParameters<typeof Admission>[0]> = {}) {
  let now = 0;
  const admission = new Admission<string>({ maxTotal: 2, maxPerClient: 1, maxQueued: 3, maxWaitMs: 1000, ...limits }, () => now);
  return { admission, advance: (ms: number) => (now += ms) };
}

describe('TFTP admission control', () => {
  it('admits up to the limits, queues the rest, and hands slots to waiters in arrival order', () => {
    const { admission } = setup();
    expect(admission.request('a1', 'A', 'a1')).toBe('admitted');
    expect(admission.request('a2', 'A', 'a2')).toBe('queued'); // A is at its own limit
    expect(admission.request('b1', 'B', 'b1')).toBe('admitted'); // B fits: nobody's turn is taken
    expect(admission.request('c1', 'C', 'c1')).toBe('queued'); // server full
    expect(admission.request('c1', 'C', 'c1')).toBe('duplicate'); // a retransmitted RRQ
    expect(admission.request('d1', 'D', 'd1')).toBe('queued');
    expect(admission.request('e1', 'E', 'e1')).toBe('refused'); // queue of 3 full
    expect(admission.queuedCount).toBe(3);

    // B finishes: a2 (A is still at its limit) is skipped, c1 is next in line.
    expect(admission.release('B').admitted.map((d) => d.key)).toEqual(['c1']);
    // A finishes: a2 now fits, d1 must wait for a free slot.
    expect(admission.release('A').admitted.map((d) => d.key)).toEqual(['a2']);
    expect(admission.release('C').admitted.map((d) => d.key)).toEqual(['d1']);
    expect(admission.queuedCount).toBe(0);
    expect(admission.activeCount).toBe(2);
  });

  it('abandons requests that waited longer than maxWaitMs instead of starting them late', () => {
    const { admission, advance } = setup({ maxTotal: 1 });
    admission.request('a', 'A', 'a');
    admission.request('b', 'B', 'b');
    advance(600);
    admission.request('c', 'C', 'c');
    advance(600);
    const { admitted, expired } = admission.drain();
    expect(admitted).toEqual([]);
    expect(expired.map((d) => [d.key, d.waitedMs])).toEqual([['b', 1200]]);
    expect(admission.release('A').admitted.map((d) => d.key)).toEqual(['c']);
  });

  it('with maxQueued 0 refuses at once', () => {
    const { admission } = setup({ maxTotal: 1, maxQueued: 0 });
    expect(admission.request('a', 'A', 'a')).toBe('admitted');
    expect(admission.request('b', 'B', 'b')).toBe('refused');
    expect(admission.limitReached('B')).toBe('maxTransfers');
  });
});
