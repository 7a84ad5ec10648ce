/**
 * The buffers one HTTP response body is read into, reused chunk after chunk and given back to a shared
 * pool when the response closes.
 *
 * A chunk pushed into the response stream stays referenced until the socket has handed it to the kernel;
 * a fresh buffer per chunk (1 MiB each, before) is freed only at a later garbage collection, and a
 * 500-client HTTP storm then held 150–180 MiB of ArrayBuffers and more in malloc's free lists. Here a
 * buffer is reused as soon as every byte pushed from it has left user space: the stream's own buffer
 * and the response's `writableLength` (bytes written and not yet taken by the kernel, headers
 * included) are the bytes still held, and they are always the newest ones, so any chunk that ended
 * before them is done with. A response whose client keeps up holds one buffer; one whose kernel send
 * buffer is full holds the chunk waiting there and reads the next into a second; a third is never
 * needed while the stream reads only when the response has room (see `http/routes/files.ts`), and would
 * be taken from the pool and left to the collector (`overflow`) rather than waited for.
 */
import type { BufferPool } from '../content/buffer-pool.js';

/** Bytes read from content per chunk of a response body. */
export const RESPONSE_CHUNK_BYTES = 128 * 1024;

/** Buffers one response takes from the pool at most; a chunk that finds both still held gets its own. */
const MAX_POOLED_PER_RESPONSE = 2;

/** Where a response's bytes are once pushed: `http.ServerResponse` has it. */
export interface ResponseBacklog {
  /** Bytes written to the response and not yet handed to the kernel. */
  readonly writableLength: number;
}

/** A pooled buffer and the body offset its last chunk ended at (−∞: never pushed; +∞: being read into). */
interface Slot {
  buffer: Buffer;
  end: number;
}

/** One response's chunk buffers. */
export class ResponseChunks {
  private readonly slots: Slot[] = [];
  private closed = false;
  /** Chunks read into a buffer this response does not keep, because both of its own were still held. */
  overflow = 0;

  constructor(
    private readonly pool: BufferPool,
    private readonly backlog: ResponseBacklog,
    private readonly chunkBytes = RESPONSE_CHUNK_BYTES,
  ) {}

  /**
   * A buffer to read the next chunk into, given the body bytes pushed so far and how many of them the
   * stream itself still buffers. Buffers no longer needed beyond the one returned go back to the pool.
   * Call `pushed` once the chunk is pushed, or `abandon` when the read failed.
   */
  take(pushedBytes: number, streamBuffered: number): Buffer {
    const doneUpTo = pushedBytes - streamBuffered - this.backlog.writableLength;
    let taken: Slot | undefined;
    for (let i = this.slots.length - 1; i >= 0; i -= 1) {
      const slot = this.slots[i]!;
      if (slot.end > doneUpTo) continue;
      if (taken === undefined) {
        taken = slot;
      } else {
        this.slots.splice(i, 1);
        this.pool.release(slot.buffer);
      }
    }
    if (taken === undefined && !this.closed && this.slots.length < MAX_POOLED_PER_RESPONSE) {
      taken = { buffer: this.pool.acquire(this.chunkBytes), end: -Infinity };
      this.slots.push(taken);
    }
    if (taken === undefined) {
      // Kept by nobody: the collector frees it once the socket is done with it.
      this.overflow += 1;
      return this.pool.acquire(this.chunkBytes);
    }
    taken.end = Infinity;
    return taken.buffer;
  }

  /** The chunk read into `buffer` was pushed and ends at body offset `end` (bytes pushed so far, this one included). */
  pushed(buffer: Buffer, end: number): void {
    const slot = this.slots.find((s) => s.buffer === buffer);
    if (slot === undefined) return;
    slot.end = end;
    if (this.closed) this.giveBack(slot);
  }

  /** The read into `buffer` failed or the stream ended without pushing it: the buffer holds nothing sent. */
  abandon(buffer: Buffer): void {
    const slot = this.slots.find((s) => s.buffer === buffer);
    if (slot === undefined) return;
    slot.end = -Infinity;
    if (this.closed) this.giveBack(slot);
  }

  /**
   * The response has closed: every byte was handed to the kernel, or the connection is gone and nothing
   * more is sent. Buffers go back to the pool, except one a read is still filling (it goes back when
   * that read ends).
   */
  close(): void {
    this.closed = true;
    for (const slot of [...this.slots]) if (slot.end !== Infinity) this.giveBack(slot);
  }

  /** Pooled buffers this response holds (for tests and accounting). */
  get held(): number {
    return this.slots.length;
  }

  private giveBack(slot: Slot): void {
    this.slots.splice(this.slots.indexOf(slot), 1);
    this.pool.release(slot.buffer);
  }
}
