/**
 * Read-ahead rings kept for the next transfer.
 *
 * Every transfer of a file larger than one chunk needs a ring of about 33 KiB (two 16 KiB chunks of
 * DATA packets, see `READ_AHEAD_BYTES`). Left to the garbage collector, the rings of ended transfers
 * are freed only at the next full collection, which a steady storm rarely triggers (its JavaScript
 * heap barely grows): memory then follows the number of transfers served, not the number running. A
 * pool hands an ended transfer's ring to the next transfer of the same ring size instead, so memory
 * follows concurrency. The pool only ever holds rings no transfer uses; its idle total is bounded.
 */

/** Rings below this size come from Node's shared slab (`Buffer.allocUnsafe`) and are not pooled. */
export const MIN_POOLED_RING_BYTES = 16 * 1024;

/** Rings of ended transfers, by exact byte length, for reuse by the next transfer. */
export class RingPool {
  private readonly idle = new Map<number, Buffer[]>();
  /** The same rings as `idle`: a second release of one ring must not hand it to two transfers. */
  private readonly idleRings = new Set<Buffer>();
  private idleBytes = 0;
  /** Rings handed out from the pool rather than allocated. */
  reused = 0;

  /** `maxIdleBytes` bounds the memory held by rings waiting for a transfer. */
  constructor(private readonly maxIdleBytes: number) {}

  /** A ring of exactly `bytes` bytes, old contents included (every slot is written before it is sent). */
  acquire(bytes: number): Buffer {
    const free = this.idle.get(bytes);
    const ring = free?.pop();
    if (ring !== undefined) {
      this.idleRings.delete(ring);
      this.idleBytes -= bytes;
      this.reused += 1;
      return ring;
    }
    return Buffer.allocUnsafe(bytes);
  }

  /**
   * Takes back a ring that nothing reads or writes any more: no queued send, no read into it, no
   * native sender holding it. Small rings and rings beyond the idle bound are left to the collector.
   */
  release(ring: Buffer): void {
    const bytes = ring.length;
    if (bytes < MIN_POOLED_RING_BYTES || ring.byteOffset !== 0 || ring.buffer.byteLength !== bytes) return;
    if (this.idleRings.has(ring) || this.idleBytes + bytes > this.maxIdleBytes) return;
    let free = this.idle.get(bytes);
    if (free === undefined) {
      free = [];
      this.idle.set(bytes, free);
    }
    free.push(ring);
    this.idleRings.add(ring);
    this.idleBytes += bytes;
  }

  /** Bytes held by rings waiting for a transfer. */
  get idleByteCount(): number {
    return this.idleBytes;
  }
}
