/**
 * Candidate addresses for dynamic allocation, fast and bounded on any pool size (a /16 included). Each
 * subnet's ranges are walked once by a cursor ("fresh" addresses, lowest first); addresses that come back
 * (released, expired) join a FIFO queue and are reused after the fresh ones run out. A request never scans
 * the whole pool: the cursor only moves forward, so skipping a taken address costs O(1) amortised, and
 * the caller bounds the work per request. After the lease table is loaded at start, the addresses held then
 * are taken out of the cursor's walk (`withhold`): with a nearly full pool the cursor would otherwise walk
 * past every held address again, a budget at a time, answering "pool full" while free addresses lay
 * further on.
 */
import type { AddressRange } from './subnets.js';

/** The free-address structure of one subnet. */
export class AddressPool {
  /** What the cursor walks, in order: the ranges, less the addresses withheld at the last `withhold`. */
  private walk: AddressRange[];
  /** Indexes into `walk` ordered by start, to find an address's interval by binary search. */
  private byStart: number[];
  private rangeIndex = 0;
  private cursor: number;
  private readonly recycled: number[] = [];
  private recycledHead = 0;
  private readonly queued = new Set<number>();

  constructor(
    private readonly ranges: readonly AddressRange[],
    /** Addresses never handed out dynamically (reservations, the server, the router). */
    private readonly excluded: ReadonlySet<number>,
  ) {
    this.walk = ranges.map((r) => ({ ...r }));
    this.byStart = orderByStart(this.walk);
    this.cursor = this.walk[0]?.start ?? 0;
  }

  /**
   * Restarts the cursor's walk over the pool's addresses that are not in `held` (the addresses the lease
   * table holds now): the next candidates are free ones, however full the pool. An address withheld here
   * that comes back later (expiry, release) is queued by `giveBack`, as one behind the cursor. O(h log h)
   * for h held addresses; no work per pool address.
   */
  withhold(held: Iterable<number>): void {
    const sorted = Float64Array.from(held).sort();
    const walk: AddressRange[] = [];
    for (const range of this.ranges) {
      // The first held address at or after the range's start, then the gaps between held addresses.
      let lo = 0;
      let hi = sorted.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sorted[mid]! < range.start) lo = mid + 1;
        else hi = mid;
      }
      let start = range.start;
      for (let i = lo; i < sorted.length && sorted[i]! <= range.end; i++) {
        const address = sorted[i]!;
        if (address > start) walk.push({ start, end: address - 1 });
        start = Math.max(start, address + 1);
      }
      if (start <= range.end) walk.push({ start, end: range.end });
    }
    this.walk = walk;
    this.byStart = orderByStart(walk);
    this.rangeIndex = 0;
    this.cursor = walk[0]?.start ?? 0;
  }

  /** How many dynamic addresses the pool has. */
  get size(): number {
    let size = 0;
    for (const r of this.ranges) size += r.end - r.start + 1;
    for (const address of this.excluded) if (this.ranges.some((r) => address >= r.start && address <= r.end)) size -= 1;
    return size;
  }

  /** True when `address` is one of this pool's dynamic addresses. */
  contains(address: number): boolean {
    if (this.excluded.has(address)) return false;
    return this.ranges.some((r) => address >= r.start && address <= r.end);
  }

  /**
   * The next candidate that `isFree` accepts, checking at most `budget` addresses; `null` when none was
   * found within the budget (the pool is full, or nearly so).
   */
  take(isFree: (address: number) => boolean, budget: number): number | null {
    for (let checked = 0; checked < budget; checked++) {
      const candidate = this.nextCandidate();
      if (candidate === null) return null;
      if (isFree(candidate)) return candidate;
    }
    return null;
  }

  /** Puts an address back for reuse (after release, expiry or a lost claim). Idempotent. */
  giveBack(address: number): void {
    if (!this.contains(address) || this.queued.has(address)) return;
    // Addresses the cursor has not reached yet will be found by it; queue only the others.
    if (this.cursorWillReach(address)) return;
    this.queued.add(address);
    this.recycled.push(address);
  }

  /** True when `address` lies ahead of the cursor in its walk. */
  private cursorWillReach(address: number): boolean {
    let lo = 0;
    let hi = this.byStart.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const index = this.byStart[mid]!;
      const interval = this.walk[index]!;
      if (address < interval.start) hi = mid - 1;
      else if (address > interval.end) lo = mid + 1;
      else return index > this.rangeIndex || (index === this.rangeIndex && address >= this.cursor);
    }
    return false;
  }

  private nextCandidate(): number | null {
    while (this.rangeIndex < this.walk.length) {
      const range = this.walk[this.rangeIndex]!;
      if (this.cursor <= range.end) {
        const address = this.cursor;
        this.cursor += 1;
        if (!this.excluded.has(address)) return address;
        continue;
      }
      this.rangeIndex += 1;
      this.cursor = this.walk[this.rangeIndex]?.start ?? 0;
    }
    if (this.recycledHead < this.recycled.length) {
      const address = this.recycled[this.recycledHead]!;
      this.recycledHead += 1;
      this.queued.delete(address);
      // Compact the queue now and then so it does not grow without bound.
      if (this.recycledHead > 1024 && this.recycledHead * 2 > this.recycled.length) {
        this.recycled.splice(0, this.recycledHead);
        this.recycledHead = 0;
      }
      return address;
    }
    return null;
  }
}

/** Indexes of `intervals` ordered by their start. */
function orderByStart(intervals: readonly AddressRange[]): number[] {
  return intervals.map((_, i) => i).sort((a, b) => intervals[a]!.start - intervals[b]!.start);
}
