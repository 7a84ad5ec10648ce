/**
 * Buffers that content is read into, kept for the next reader: the read-ahead rings of TFTP transfers
 * and the chunk buffers of HTTP responses.
 *
 * A TFTP transfer of a file larger than one chunk needs a ring of about 33 KiB (two 16 KiB chunks of
 * DATA packets, see `READ_AHEAD_BYTES` in tftp/transfer/transfer.ts); an HTTP response of a file reads
 * it through one or two chunk buffers (http/response-chunks.ts). Left to the garbage collector, the
 * buffers of ended transfers are freed only at a later collection, which a steady storm triggers late
 * (its JavaScript heap barely grows): memory then follows the number of transfers served, not the
 * number running. A pool hands an ended transfer's buffer to the next one of the same size instead, so
 * memory follows concurrency. The pool only ever holds buffers nobody uses; its idle total is bounded.
 */

/** Buffers below this size come from Node's shared slab (`Buffer.allocUnsafe`) and are not pooled. */
export const MIN_POOLED_BYTES = 16 * 1024;

/** Buffers of ended transfers, by exact byte length, for reuse by the next transfer. */
export class BufferPool {
  private readonly idle = new Map<number, Buffer[]>();
  /** The same buffers as `idle`: a second release of one buffer must not hand it to two transfers. */
  private readonly idleBuffers = new Set<Buffer>();
  private idleBytes = 0;
  /** Buffers handed out from the pool rather than allocated. */
  reused = 0;

  /** `maxIdleBytes` bounds the memory held by buffers waiting for a transfer. */
  constructor(private readonly maxIdleBytes: number) {}

  /** A buffer of exactly `bytes` bytes, old contents included (every byte is written before it is sent). */
  acquire(bytes: number): Buffer {
    const free = this.idle.get(bytes);
    const buffer = free?.pop();
    if (buffer !== undefined) {
      this.idleBuffers.delete(buffer);
      this.idleBytes -= bytes;
      this.reused += 1;
      return buffer;
    }
    return Buffer.allocUnsafe(bytes);
  }

  /**
   * Takes back a buffer that nothing reads or writes any more: no queued send, no read into it, no
   * native sender holding it. Small buffers, slices and buffers beyond the idle bound are left to the
   * collector.
   */
  release(buffer: Buffer): void {
    const bytes = buffer.length;
    if (bytes < MIN_POOLED_BYTES || buffer.byteOffset !== 0 || buffer.buffer.byteLength !== bytes) return;
    if (this.idleBuffers.has(buffer) || this.idleBytes + bytes > this.maxIdleBytes) return;
    let free = this.idle.get(bytes);
    if (free === undefined) {
      free = [];
      this.idle.set(bytes, free);
    }
    free.push(buffer);
    this.idleBuffers.add(buffer);
    this.idleBytes += bytes;
  }

  /** Bytes held by buffers waiting for a transfer. */
  get idleByteCount(): number {
    return this.idleBytes;
  }
}
