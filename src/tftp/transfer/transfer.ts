/**
 * One read transfer as a state machine: OACK (if options were accepted), then DATA blocks in windows of
 * `windowsize` (RFC 7440; 1 = RFC 1350 lock-step), until the client acknowledges the final short block.
 * Sockets and time are injected (`TransferSender`, `TransferClock`) so loss, duplication, reordering and
 * timeouts are unit-tested without a network.
 *
 * Rules that matter on real networks:
 * - in lock-step, retransmit only on timeout, never because an ACK was duplicated (the Sorcerer's
 *   Apprentice bug, RFC 1123 §4.2.3.1): a duplicate ACK is ignored; in a window, a duplicate ACK makes
 *   the window go back once per position (`handleDuplicateAck`);
 * - an ACK for a block inside the window slides the window to the next block and sends from there
 *   (RFC 7440 §4: the client saw a gap), so a resend covers exactly what the client is missing; but
 *   not for an ACK that may predate the window's last going back (`handleAck`);
 * - block numbers are 16-bit on the wire and wrap 65535 → 0 (RFC 1350 has no limit on file size;
 *   tftpy and tftp-hpa expect the wrap to 0); internally blocks are counted without wrapping;
 * - data is read ahead into a bounded ring per transfer (two chunks of max(16 KiB, one window)), laid
 *   out as ready-to-send DATA packets, the next chunk read while the current one is sent; with a
 *   `BufferPool` the ring of an ended transfer serves the next one (`content/buffer-pool.ts`).
 *
 * This class is the one owner of the window algorithm. The window's counters (`Window`, `window.ts`)
 * sit in an array a sender may share: one that can answer in-order ACKs itself (the native engine) is
 * handed the window and the ring with `accelerate`; it then slides the window and sends loaded blocks
 * on in-order ACKs only, and calls `resume()` when the ring has room for the next read or it could not
 * send. Everything else (OACK, the final ACK, gaps, duplicates, timeouts, reads, errors) is decided here.
 * Such a sender may answer on another thread, so every entry point (start, ACK, ERROR, resume, client
 * unreachable, timers, reads completing, cancel) runs as one `exclusive()` step of the sender's
 * `WindowOwner`, which takes the window back before the step and lends it out again after.
 */
import { isFileContent, readContentInto, type Content } from '../../content/types.js';
import { encodeTftpPacket, writeTftpDataHeader, type TftpOption } from '../codec/packet.js';
import type { BufferPool } from '../../content/buffer-pool.js';
import { Window } from './window.js';

/** How long a transfer whose last block is out waits for the final ACK after the client's port became unreachable. */
export const FINAL_ACK_GRACE_MS = 250;

/** The error of a transfer whose client went away (ICMP port unreachable). */
export const CLIENT_UNREACHABLE = 'client port unreachable';

/** Time source and timers; `realClock` in production, a fake in tests. */
export interface TransferClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The clock of the running process. */
export const realClock: TransferClock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Who else may touch a transfer's window. A sender that shares it (`TransferSender.accelerate`) takes it
 * back for the length of `step` and may lend it out again afterwards; one that does not share it runs
 * `step` as it is. Steps may nest (an event the owner delivers calls `handleAck`): only the outermost
 * takes the window back and lends it out.
 */
export interface WindowOwner {
  /** Runs `step` with the window the transfer's alone, and returns what it returns. */
  exclusive<T>(step: () => T): T;
}

/** The owner of a window nobody else touches. */
export const UNSHARED: WindowOwner = { exclusive: (step) => step() };

/** Where packets go: the transfer's own socket, connected in spirit to one client address and port. */
export interface TransferSender extends WindowOwner {
  /** Sends `buf[offset, offset + length)` to the client. Must not throw. */
  send(buf: Buffer, offset: number, length: number): void;
  /** Sends still queued in the socket; their buffers must not be overwritten yet. */
  pendingSends(): number;
  /**
   * Optional: how many sends so far found the socket's send buffer full (EAGAIN) and had to wait for
   * room, a sign that the path to the client is slower than the window. Senders that cannot tell omit it.
   */
  sendBufferFull?(): number;
  /**
   * Optional: takes over in-order ACKs between `exclusive` steps. `window` is the transfer's, `ring`
   * holds block b's DATA packet at ((b - 1) % ringSlots) * stride. Called once, before the first DATA
   * block, inside a step.
   */
  accelerate?(window: Window, ring: Buffer, layout: WindowLayout): void;
  /**
   * Optional: scatter-reads what the page cache holds of an open file, never waiting for the disk:
   * the bytes read (fewer at the end of the file or where the cache stops), or `null` when nothing can
   * be read without waiting. A transfer of file content tries it before the asynchronous read.
   */
  readCached?(fd: number, targets: readonly Buffer[], position: number): number | null;
}

/** How DATA packets are laid out in a transfer's ring, for a sender that sends from it. */
export interface WindowLayout {
  stride: number;
  ringSlots: number;
  blksize: number;
  size: number;
  lastBlock: number;
  windowsize: number;
  /** Blocks per read-ahead chunk: reads load whole chunks, and the ring holds two. */
  chunkBlocks: number;
  /** The file to read ahead from the page cache without JavaScript, or -1 (generated content). */
  fd: number;
}

/** How a transfer ended. */
export interface TransferResult {
  outcome: 'complete' | 'aborted' | 'timeout' | 'error';
  /** Payload bytes the client acknowledged. */
  bytes: number;
  /** DATA (and OACK) packets sent again. */
  retransmits: number;
  /** Sends that found the socket's send buffer full and waited for room (see `TransferSender.sendBufferFull`). */
  sendBufferFull: number;
  durationMs: number;
  /** Why, for everything but `complete`. */
  error?: string;
}

/** Parameters of one read transfer (after option negotiation). */
export interface ReadTransferOptions {
  content: Content;
  blksize: number;
  windowsize: number;
  /** Time without progress before the window (or OACK) is sent again. */
  timeoutMs: number;
  /**
   * Time before the OACK is sent again (default `timeoutMs`). A client that sees a second OACK after
   * its ACK 0 may abort (atftp does), so the server may be more patient here than with DATA.
   */
  oackTimeoutMs?: number;
  /** Retransmissions without progress before giving up. */
  retries: number;
  /** Options for the OACK; empty = no OACK, the transfer starts with DATA 1. */
  oack: readonly TftpOption[];
  sender: TransferSender;
  clock?: TransferClock;
  /**
   * Where the read-ahead ring comes from and goes back to. It goes back after `onEnd` returns, once no
   * read into it runs and no send from it is queued, so `onEnd` must close the sender: a sender that
   * went on sending from the ring would send another transfer's data.
   */
  ringPool?: BufferPool;
  /** Called exactly once, when the transfer ends for any reason. */
  onEnd(result: TransferResult): void;
}

/**
 * Size of one read-ahead chunk. Lock-step transfers of small blocks would otherwise cost one file read
 * per packet. The ring holds two chunks (one being sent, one being read): 32–35 KiB per transfer at
 * blksize 512 to 8192, so 500 concurrent transfers at 1408 hold 17 MiB. A window larger than a chunk
 * makes the chunk one window (it must be kept for retransmission anyway). With 64 KiB chunks (132 KiB
 * rings) the rings were the largest item of a 500-client storm's memory (66 MiB at its peak); a chunk
 * is one preadv2 from the page cache, now of 12 blocks of 1408 bytes instead of 47 (bench/README.md).
 */
export const READ_AHEAD_BYTES = 16 * 1024;

/** A read transfer in progress. Feed it the client's ACK and ERROR packets; it sends DATA by itself. */
export class ReadTransfer {
  private readonly content: Content;
  private readonly blksize: number;
  private readonly windowsize: number;
  private readonly timeoutMs: number;
  private readonly oackTimeoutMs: number;
  private readonly retries: number;
  private readonly sender: TransferSender;
  private readonly clock: TransferClock;
  private readonly onEnd: (result: TransferResult) => void;
  private readonly oackPacket: Buffer | null;
  /** Absolute number of the final block (the short, possibly empty one). */
  readonly lastBlock: number;

  private state: 'idle' | 'oack' | 'data' | 'ended' = 'idle';
  private readonly startedAt: number;
  /** Base, next, highest sent, loaded, retransmits, …: shared with an accelerating sender. */
  private readonly window = new Window();
  private timer: unknown = null;
  private retryTimer: unknown = null;
  /**
   * The highest block sent before the window last went back (a resend on timeout or after a gap ACK).
   * An ACK below it may have been sent before the client saw the resent blocks, so it does not make the
   * window go back again (see `handleAck`).
   */
  private goBackEnd = 0;
  /** The block the window last went back to: duplicate ACKs for the block before it change nothing more. */
  private wentBackTo = 0;
  /** Set while waiting for a final ACK that may be queued behind an ICMP port unreachable. */
  private unreachableTimer: unknown = null;

  // Read-ahead ring: `ringSlots` slots of (4-byte DATA header + blksize); block b lives in slot
  // (b - 1) % ringSlots, ready to send in place. Blocks below window.loaded are loaded; a slot is reused
  // only once its block is acknowledged. Reads of `chunkBlocks` run while the previous chunk is sent.
  private readonly stride: number;
  private readonly chunkBlocks: number;
  private readonly ringSlots: number;
  private readonly ring: Buffer;
  private readonly slots: Buffer[];
  /** Where the ring goes back when the transfer has ended and nothing uses it; null once it went back or is left to the collector. */
  private ringPool: BufferPool | null;

  constructor(options: ReadTransferOptions) {
    this.content = options.content;
    this.blksize = options.blksize;
    this.windowsize = options.windowsize;
    this.timeoutMs = options.timeoutMs;
    this.oackTimeoutMs = options.oackTimeoutMs ?? options.timeoutMs;
    this.retries = options.retries;
    this.sender = options.sender;
    this.clock = options.clock ?? realClock;
    this.onEnd = options.onEnd;
    this.oackPacket = options.oack.length > 0 ? encodeTftpPacket({ type: 'oack', options: [...options.oack] }) : null;
    this.lastBlock = Math.floor(this.content.size / this.blksize) + 1;
    this.startedAt = this.clock.now();
    this.stride = this.blksize + 4;
    this.chunkBlocks = Math.max(1, Math.min(Math.max(this.windowsize, Math.ceil(READ_AHEAD_BYTES / this.blksize)), this.lastBlock));
    this.ringSlots = Math.min(2 * this.chunkBlocks, this.lastBlock);
    this.ringPool = options.ringPool ?? null;
    const ringBytes = this.ringSlots * this.stride;
    this.ring = this.ringPool ? this.ringPool.acquire(ringBytes) : Buffer.allocUnsafe(ringBytes);
    this.slots = [];
    for (let i = 0; i < this.ringSlots; i += 1) this.slots.push(this.ring.subarray(i * this.stride + 4, (i + 1) * this.stride));
  }

  /** Sends the OACK or the first window. */
  start(): void {
    this.sender.exclusive(() => this.startStep());
  }

  private startStep(): void {
    if (this.state !== 'idle') return;
    this.sender.accelerate?.(this.window, this.ring, {
      stride: this.stride,
      ringSlots: this.ringSlots,
      blksize: this.blksize,
      size: this.content.size,
      lastBlock: this.lastBlock,
      windowsize: this.windowsize,
      chunkBlocks: this.chunkBlocks,
      fd: isFileContent(this.content) ? this.content.fd : -1,
    });
    if (this.oackPacket) {
      this.state = 'oack';
      this.armTimer();
      this.sender.send(this.oackPacket, 0, this.oackPacket.length);
      // Load the first blocks while the client answers the OACK.
      this.prefetch();
    } else {
      this.enterData();
      this.armTimer();
      this.pump();
    }
  }

  /** Sends what can be sent and reads ahead: for an accelerating sender that advanced the window itself. */
  resume(): void {
    this.sender.exclusive(() => this.pump());
  }

  /**
   * Payload bytes the client has acknowledged so far. Read without owning the window (for progress
   * reports): an accelerating sender may move the base meanwhile, so the value may be one ACK stale.
   */
  get bytesAcknowledged(): number {
    return Math.min(this.content.size, Math.max(0, this.window.base - 1) * this.blksize);
  }

  /** Whether the transfer has ended. */
  get ended(): boolean {
    return this.state === 'ended';
  }

  /** Handles an ACK from the client (16-bit block number as on the wire). */
  handleAck(wireBlock: number): void {
    this.sender.exclusive(() => this.ackStep(wireBlock));
  }

  private ackStep(wireBlock: number): void {
    if (this.state === 'oack') {
      // RFC 2347 §5: the client acknowledges the OACK with ACK 0.
      if (wireBlock !== 0) return;
      this.enterData();
      this.progress();
      // The timer was armed with the OACK's timeout; DATA keeps its own.
      if (this.oackTimeoutMs > this.timeoutMs) this.schedule(this.timeoutMs);
      this.pump();
      return;
    }
    if (this.state !== 'data') return;
    const w = this.window;
    const lastAcked = w.base - 1;
    const ahead = (wireBlock - lastAcked) & 0xffff;
    if (ahead === 0) {
      this.handleDuplicateAck();
      return;
    }
    const acked = lastAcked + ahead;
    // An ACK for a block never sent: stale, from before a wrap, or forged. Ignore.
    if (acked > w.highest) return;
    w.base = acked + 1;
    if (acked >= this.lastBlock) {
      this.finish('complete');
      return;
    }
    if (acked < w.highest && acked >= this.goBackEnd) {
      // The client stopped at a gap in blocks it had every chance to see: go back to what it needs next
      // (RFC 7440 §4). EDK2 sends this ACK at once for the first block out of order.
      this.goBack(acked + 1);
    } else {
      // The whole window, or an ACK from before the client saw the last resend: clients that ACK at
      // their own window boundaries (atftp ACKs every windowsize-th block) send these inside a window
      // that went back. Going back for each would resend every block twice for the rest of the
      // transfer; the blocks after it are on their way, so only new blocks follow. A block really lost
      // among them is resent on timeout.
      w.next = Math.max(w.next, acked + 1);
    }
    this.progress();
    this.pump();
  }

  /**
   * A duplicate ACK. In lock-step it is ignored (no resend): that is what prevents the Sorcerer's
   * Apprentice bug (RFC 1123 §4.2.3.1), and the timer resends if the client really is stuck. In a window
   * with blocks outstanding it means the client is stuck before them: EDK2 repeats its last in-order
   * ACK for every block out of order, also after a loss among resent blocks, where the first such ACK
   * did not make the window go back. So the window goes back once for each base, never more (and not
   * at all where a gap ACK or a timeout already took it back there): the resends cannot feed on the ACKs
   * they cause.
   */
  private handleDuplicateAck(): void {
    const w = this.window;
    if (this.windowsize === 1 || w.base > w.highest || this.wentBackTo === w.base) return;
    this.goBack(w.base);
    this.pump();
  }

  /** Makes `block` the next to send again, remembering how far the window had gone. */
  private goBack(block: number): void {
    this.goBackEnd = this.window.highest;
    this.wentBackTo = block;
    this.window.next = block;
  }

  private enterData(): void {
    this.state = 'data';
    this.window.active = true;
  }

  /** Handles an ERROR from the client: the transfer ends quietly (UEFI's tsize probe sends ERROR 8 after the OACK). */
  handleError(code: number, message: string): void {
    this.sender.exclusive(() => {
      if (this.state === 'ended') return;
      this.finish('aborted', `client sent ERROR ${code}${message ? `: ${message}` : ''}`);
    });
  }

  /**
   * The client's port is unreachable (an ICMP error on the socket): the client has gone. While blocks
   * remain unsent it cannot have finished, and the transfer ends `aborted` at once. Once the last block
   * has been sent, it may have gone because it is done: a windowed transfer answers a late ACK with
   * blocks the client no longer needs, their ICMP errors come back, and the kernel reports an error
   * before the datagrams queued behind it (Linux `__skb_recv_udp` checks `sk_err` first), so the
   * client's final ACK is still to be read. The transfer then waits up to `FINAL_ACK_GRACE_MS` for it.
   */
  clientUnreachable(): void {
    this.sender.exclusive(() => {
      if (this.state === 'ended' || this.unreachableTimer !== null) return;
      if (this.state !== 'data' || this.window.highest < this.lastBlock) {
        this.finish('aborted', CLIENT_UNREACHABLE);
        return;
      }
      this.unreachableTimer = this.clock.setTimeout(() => {
        this.unreachableTimer = null;
        this.cancel(CLIENT_UNREACHABLE, 'aborted');
      }, FINAL_ACK_GRACE_MS);
    });
  }

  /** Ends the transfer from outside: `error` for local failures and shutdown, `aborted` when the client is gone. */
  cancel(reason: string, outcome: 'error' | 'aborted' = 'error'): void {
    this.sender.exclusive(() => {
      if (this.state !== 'ended') this.finish(outcome, reason);
    });
  }

  private blockLength(block: number): number {
    return Math.max(0, Math.min(this.blksize, this.content.size - (block - 1) * this.blksize));
  }

  /** Sends what the window allows from loaded blocks, then starts the next read if there is room. */
  private pump(): void {
    if (this.state !== 'data') return;
    const w = this.window;
    const windowEnd = Math.min(w.base + this.windowsize - 1, this.lastBlock);
    const sendable = Math.min(windowEnd, w.loaded - 1);
    while (w.next <= sendable && this.state === 'data') {
      const block = w.next;
      const offset = ((block - 1) % this.ringSlots) * this.stride;
      writeTftpDataHeader(this.ring, offset, block);
      this.sender.send(this.ring, offset, 4 + this.blockLength(block));
      if (block <= w.highest) w.retransmits += 1;
      else w.highest = block;
      w.next = block + 1;
    }
    this.prefetch();
  }

  /**
   * Reads the next chunk into ring slots whose blocks are acknowledged. Skipped while a read runs, when
   * the ring has no free chunk yet, or while the socket still queues sends (a queued packet references
   * ring memory; in that case retry shortly if the transfer is waiting for data).
   */
  private prefetch(): void {
    const w = this.window;
    w.wakeAtBase = Infinity;
    if (w.reading || this.state === 'ended' || w.loaded > this.lastBlock) return;
    const first = w.loaded;
    const count = Math.min(this.chunkBlocks, this.lastBlock - first + 1);
    if (first + count - 1 - this.ringSlots >= w.base) {
      // Would overwrite an unacknowledged block: try again once the client has acknowledged enough.
      w.wakeAtBase = first + count - this.ringSlots;
      return;
    }
    if (this.sender.pendingSends() > 0) {
      if (w.next >= w.loaded && this.retryTimer === null) {
        this.retryTimer = this.clock.setTimeout(() => {
          this.retryTimer = null;
          this.sender.exclusive(() => this.pump());
        }, 1);
      }
      return;
    }
    const targets: Buffer[] = new Array(count);
    for (let i = 0; i < count; i += 1) targets[i] = this.slots[(first - 1 + i) % this.ringSlots]!;
    const position = (first - 1) * this.blksize;
    const expected = Math.max(0, Math.min(count * this.blksize, this.content.size - position));
    // Straight from memory where it can be (generated content, file pages the sender reads from the
    // page cache): no thread hop.
    const cached = this.readNow(targets, position);
    if (cached !== null && cached >= expected) {
      this.loaded(first + count);
      return;
    }
    w.reading = true;
    readContentInto(this.content, targets, position).then(
      (read) =>
        this.sender.exclusive(() => {
          if (!this.readSettled()) return;
          if (read < expected) {
            this.finish('error', `short read at byte ${position + read} of ${this.content.size} (file changed?)`);
            return;
          }
          this.loaded(first + count);
        }),
      (error: unknown) =>
        this.sender.exclusive(() => {
          if (this.readSettled()) this.finish('error', `read failed: ${(error as Error).message}`);
        }),
    );
  }

  /** What can be read into `targets` without waiting: from memory, or from the page cache by the sender. */
  private readNow(targets: readonly Buffer[], position: number): number | null {
    if (this.content.readIntoSync) return this.content.readIntoSync(targets, position);
    if (this.sender.readCached && isFileContent(this.content)) return this.sender.readCached(this.content.fd, targets, position);
    return null;
  }

  /** A read into the ring finished, either way: whether the transfer goes on. If it ended meanwhile, the ring is free now. */
  private readSettled(): boolean {
    this.window.reading = false;
    if (this.state !== 'ended') return true;
    this.returnRing();
    return false;
  }

  /** Blocks below `end` are in the ring: send what the window allows, or read on while the OACK waits. */
  private loaded(end: number): void {
    this.window.loaded = end;
    if (this.state === 'data') this.pump();
    else this.prefetch();
  }

  /** Records progress: the retry budget is per stall, not per transfer. */
  private progress(): void {
    this.window.attempts = 0;
    this.window.progressAt = this.clock.now();
  }

  /** Starts the timeout timer. One timer per stall period, re-armed lazily, instead of one per packet. */
  private armTimer(): void {
    this.window.progressAt = this.clock.now();
    this.schedule(this.currentTimeoutMs());
  }

  /** The retransmit timeout of the current phase. */
  private currentTimeoutMs(): number {
    return this.state === 'oack' ? this.oackTimeoutMs : this.timeoutMs;
  }

  private schedule(ms: number): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => this.onTimer(), ms);
  }

  private onTimer(): void {
    this.timer = null;
    if (this.state === 'ended') return;
    // ACKs arrived since the timer was set (an accelerating sender moves progressAt): wait on without
    // taking the window back. This one look needs no ownership (see `Window.progressAt`); a stale value
    // only sends this tick into the step below, which looks again with the window in hand.
    const untilDeadline = this.window.progressAt + this.currentTimeoutMs() - this.clock.now();
    if (untilDeadline > 0) {
      this.schedule(untilDeadline);
      return;
    }
    this.sender.exclusive(() => this.timeoutStep());
  }

  private timeoutStep(): void {
    if (this.state === 'ended') return;
    const w = this.window;
    const left = w.progressAt + this.currentTimeoutMs() - this.clock.now();
    if (left > 0) {
      this.schedule(left);
      return;
    }
    w.attempts += 1;
    if (w.attempts > this.retries) {
      this.finish('timeout', `no ACK after ${this.retries} retransmissions`);
      return;
    }
    if (this.state === 'oack' && this.oackPacket) {
      this.sender.send(this.oackPacket, 0, this.oackPacket.length);
      w.retransmits += 1;
    } else {
      // Resend the whole unacknowledged window.
      this.goBack(w.base);
      this.pump();
    }
    this.armTimer();
  }

  private finish(outcome: TransferResult['outcome'], error?: string): void {
    this.state = 'ended';
    this.window.active = false;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    if (this.retryTimer !== null) this.clock.clearTimeout(this.retryTimer);
    if (this.unreachableTimer !== null) this.clock.clearTimeout(this.unreachableTimer);
    this.timer = null;
    this.retryTimer = null;
    this.unreachableTimer = null;
    const acknowledged = Math.min(this.content.size, (this.window.base - 1) * this.blksize);
    const result: TransferResult = {
      outcome,
      bytes: outcome === 'complete' ? this.content.size : acknowledged,
      retransmits: this.window.retransmits,
      sendBufferFull: this.sender.sendBufferFull?.() ?? 0,
      durationMs: Math.round(this.clock.now() - this.startedAt),
    };
    if (error !== undefined) result.error = error;
    // A packet still queued in the socket points into the ring: then the ring is the collector's.
    if (this.sender.pendingSends() > 0) this.ringPool = null;
    this.onEnd(result);
    if (!this.window.reading) this.returnRing();
  }

  /** Gives the ring back to its pool, once: the transfer has ended and nothing reads into or sends from it. */
  private returnRing(): void {
    const pool = this.ringPool;
    this.ringPool = null;
    pool?.release(this.ring);
  }
}
