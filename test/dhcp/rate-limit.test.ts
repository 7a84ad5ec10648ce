import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/dhcp/rate-limit.js';
import { AddressPool } from '../../src/dhcp/pool.js';

describe('per-MAC rate limit', () => {
  it('lets a burst through, then the configured rate, per MAC independently', () => {
    const limiter = new RateLimiter(10, 5);
    const t = 1_000_000;
    const flood = Array.from({ length: 50 }, () => limiter.allow('02:00:00:00:00:01', t));
    expect(flood.filter(Boolean)).toHaveLength(5);
    // Another client is not affected by the flooding one.
    expect(limiter.allow('02:00:00:00:00:02', t)).toBe(true);
    // 10 per second: after 300 ms, three more.
    const later = Array.from({ length: 10 }, () => limiter.allow('02:00:00:00:00:01', t + 300));
    expect(later.filter(Boolean)).toHaveLength(3);
  });

  it('keeps its memory bounded when every packet has a new MAC', () => {
    const limiter = new RateLimiter(10, 5, 1000);
    for (let i = 0; i < 10_000; i++) expect(limiter.allow(`mac-${i}`, 1_000_000 + i)).toBe(true);
    expect((limiter as unknown as { buckets: Map<string, unknown> }).buckets.size).toBeLessThanOrEqual(1000);
  });
});

describe('address pool', () => {
  it('hands out fresh addresses lowest first, skips exclusions, then reuses returned ones in order', () => {
    const pool = new AddressPool([{ start: 10, end: 14 }, { start: 20, end: 21 }], new Set([12]));
    const taken: number[] = [];
    for (let i = 0; i < 6; i++) taken.push(pool.take(() => true, 10)!);
    expect(taken).toEqual([10, 11, 13, 14, 20, 21]);
    expect(pool.take(() => true, 10)).toBeNull();
    pool.giveBack(13);
    pool.giveBack(10);
    pool.giveBack(12); // excluded: never comes back
    pool.giveBack(13); // twice: queued once
    expect([pool.take(() => true, 10), pool.take(() => true, 10), pool.take(() => true, 10)]).toEqual([13, 10, null]);
    expect(pool.size).toBe(6);
  });

  it('bounds the work per request: a budget of checks, not a scan', () => {
    const pool = new AddressPool([{ start: 0, end: 65_535 }], new Set());
    let checks = 0;
    expect(pool.take(() => (checks++, false), 100)).toBeNull();
    expect(checks).toBe(100);
  });

  it('after withholding the held addresses, walks only the free ones; a withheld address that comes back is queued', () => {
    const pool = new AddressPool([{ start: 10, end: 19 }, { start: 30, end: 33 }], new Set([18]));
    pool.withhold([10, 11, 12, 13, 15, 16, 17, 19, 30, 99]);
    const taken: number[] = [];
    for (let i = 0; i < 5; i++) taken.push(pool.take(() => true, 1)!);
    expect(taken).toEqual([14, 31, 32, 33, null]);
    pool.giveBack(30);
    pool.giveBack(14); // handed out and back: behind the cursor
    expect([pool.take(() => true, 1), pool.take(() => true, 1), pool.take(() => true, 1)]).toEqual([30, 14, null]);
  });

  it('a full /16 restarted with its free addresses at the top: the first request finds one at once', () => {
    const pool = new AddressPool([{ start: 2, end: 65_535 }], new Set());
    pool.withhold(Array.from({ length: 61_440 }, (_, i) => 2 + i));
    let checks = 0;
    expect(pool.take(() => (checks++, true), 4096)).toBe(61_442);
    expect(checks).toBe(1);
  });
});
