/**
 * Candidate addresses for dynamic allocation, fast and bounded on any pool size (a /16 included). Each
 * subnet's ranges are walked once by a cursor ("fresh" addresses, lowest first); addresses that come back
 * (released, expired) join a FIFO queue and are reused after the fresh ones run out. A request never scans
 * the whole pool: the cursor only moves forward, so skipping a taken address costs O(1) amortised, and
 * the caller bounds the work per request.
 */
import type { AddressRange } from './subnets.js';

/** The free-address structure of one subnet. */
export class AddressPool {
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
    this.cursor = ranges[0]?.start ?? 0;
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
    // Addresses the cursor has not reached yet will be found by it; queue only those behind it.
    if (!this.isBehindCursor(address)) return;
    this.queued.add(address);
    this.recycled.push(address);
  }

  private isBehindCursor(address: number): boolean {
    for (let i = 0; i < this.ranges.length; i++) {
      const r = this.ranges[i]!;
      if (address < r.start || address > r.end) continue;
      if (i < this.rangeIndex) return true;
      if (i > this.rangeIndex) return false;
      return address < this.cursor;
    }
    return false;
  }

  private nextCandidate(): number | null {
    while (this.rangeIndex < this.ranges.length) {
      const range = this.ranges[this.rangeIndex]!;
      if (this.cursor <= range.end) {
        const address = this.cursor;
        this.cursor += 1;
        if (!this.excluded.has(address)) return address;
        continue;
      }
      this.rangeIndex += 1;
      this.cursor = this.ranges[this.rangeIndex]?.start ?? 0;
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
