import { describe, expect, it } from 'vitest';
import { TakeoverState } from '../../../src/dhcp/ha/takeover.js';

/** A fake clock and a counter per peer, read the way the heartbeat loop reads the store. */
function harness(peers: string[], self: string, takeoverMs = 5_000) {
  let now = 1_000_000;
  const counters = new Map<string, number>();
  const state = new TakeoverState(peers, self, takeoverMs, now);
  return {
    state,
    beat: (name: string) => counters.set(name, (counters.get(name) ?? 0) + 1),
    advance: (ms: number) => (now += ms),
    read: () => state.observe([...counters].map(([name, beats]) => ({ name, beats })), now),
  };
}

/** Buckets 0–255 this instance answers. */
const answered = (state: TakeoverState) => Array.from({ length: 256 }, (_, b) => b).filter((b) => state.answers(b));

describe('takeover state (fake clock)', () => {
  it('answers only its own half while the peer beats', () => {
    const h = harness(['a', 'b'], 'a');
    for (let t = 0; t < 20; t++) {
      h.beat('a');
      h.beat('b');
      expect(h.read()).toBeNull();
      h.advance(1_000);
    }
    expect(answered(h.state)).toEqual(Array.from({ length: 128 }, (_, i) => i * 2));
    expect(h.state.upPeers()).toEqual(['a', 'b']);
  });

  it('takes over every client once the peer has not beaten for the takeover time, not before', () => {
    const h = harness(['a', 'b'], 'b');
    h.beat('b');
    h.beat('a');
    h.read();
    h.advance(1_000);
    h.beat('a');
    expect(h.read()).toBeNull();
    // a stops beating now. 4.9 s later it is still up.
    h.advance(4_900);
    expect(h.read()).toBeNull();
    expect(h.state.answers(0)).toBe(false);
    h.advance(100);
    expect(h.read()).toEqual({ down: ['a'], up: [] });
    expect(answered(h.state)).toHaveLength(256);
    // Reported once.
    h.advance(1_000);
    expect(h.read()).toBeNull();
  });

  it('gives the half back at the first beat of the returning peer', () => {
    const h = harness(['a', 'b'], 'a', 3_000);
    h.read();
    h.advance(3_000);
    expect(h.read()).toEqual({ down: ['b'], up: [] });
    expect(answered(h.state)).toHaveLength(256);
    h.advance(60_000);
    expect(h.read()).toBeNull();
    h.beat('b');
    expect(h.read()).toEqual({ down: [], up: ['b'] });
    expect(answered(h.state)).toHaveLength(128);
    expect(h.state.answers(1)).toBe(false);
  });

  it('does not count a stale row as a beat: a peer dead before this instance started is taken over', () => {
    const h = harness(['a', 'b'], 'a', 2_000);
    for (let i = 0; i < 40; i++) h.beat('b'); // the row of b's earlier life
    h.read();
    h.advance(1_999);
    expect(h.read()).toBeNull();
    h.advance(1);
    expect(h.read()).toEqual({ down: ['b'], up: [] });
  });

  it('does not take over when its own readings stop (no reading, no verdict)', () => {
    const h = harness(['a', 'b'], 'a', 2_000);
    h.beat('b');
    h.read();
    // The store did not answer for a minute: no readings. Then b's counter had moved meanwhile.
    h.advance(60_000);
    h.beat('b');
    expect(h.read()).toBeNull();
    expect(h.state.isUp('b')).toBe(true);
  });

  it('with three peers, the clients of a dead one are shared by the survivors, each bucket to exactly one', () => {
    const peers = ['a', 'b', 'c'];
    const states = peers.map((self) => harness(peers, self, 2_000));
    for (const h of states) {
      h.beat('a');
      h.beat('b');
      h.read();
    }
    for (const h of states) {
      h.advance(2_000);
      h.beat('a');
      h.beat('b');
      h.read();
    }
    const [a, b] = [states[0]!.state, states[1]!.state];
    expect(a.isUp('c') || b.isUp('c')).toBe(false);
    const byA = answered(a);
    const byB = answered(b);
    expect(byA.filter((x) => byB.includes(x))).toEqual([]);
    expect(byA.length + byB.length).toBe(256);
    // Buckets of a and b stay where they were.
    expect(byA).toEqual(expect.arrayContaining([0, 3, 6]));
    expect(byB).toEqual(expect.arrayContaining([1, 4, 7]));
  });

  it('refuses a self that is not a peer', () => {
    expect(() => new TakeoverState(['a', 'b'], 'c', 1_000, 0)).toThrow(/not one of the peers/);
  });
});
