/**
 * A transfer socket on the `xenboot_udp` addon. Receives land in one Buffer owned by the socket (no
 * allocation per ACK); sends go straight to the kernel and return at once. A send the kernel cannot take
 * yet (EAGAIN: the socket's send buffer is full, as with a large window of large blocks) is kept in
 * order in a backlog, flushed when the socket becomes writable; while the backlog holds packets,
 * `pendingSends()` tells the transfer not to reuse their memory.
 *
 * `accelerate` lets the addon answer in-order ACKs itself from the transfer's shared window, so a
 * lock-step transfer costs no JavaScript per packet; the addon hands back with a Resume event. Between
 * the transfer's steps the socket is lent to the addon's ACK thread (`engage`), so that the event loop
 * is not woken per packet either. `exclusive` is the one place that takes it back (`reclaim`) and lends
 * it out again: every step of the transfer and every event the addon delivers runs inside it, so no
 * entry point can touch the window while the thread holds it. Every event the addon delivers comes
 * from a socket that is back on the event loop.
 */
import { getSystemErrorName } from 'node:util';
import { ipToInt } from '../../../net/ipv4.js';
import { NativeUdpEvent, type NativeAddon, type NativeUdpHandle } from './addon.js';
import { deliverToTransfer, UNKNOWN_TID, type PageCacheRead, type TransferSocket, type TransferSocketOptions, type TransferSocketStats } from '../socket.js';
import { pageCacheRead } from './page-cache.js';
import type { ReadTransfer, TransferClock, WindowLayout } from '../transfer.js';
import type { Window } from '../window.js';

/**
 * Receive buffer per socket. A client sends ACKs (4 bytes) and ERRORs (a short message); a longer
 * datagram is cut to this size, which only an ERROR with an absurd message would notice (it then counts
 * as garbage, and the transfer goes on).
 */
const RECEIVE_BYTES = 2048;

const EAGAIN = -11;

/** A send the kernel could not take yet. */
interface QueuedSend {
  buf: Buffer;
  offset: number;
  length: number;
}

/** A bound (and, unless `answerStrangers`, connected) transfer socket on the addon. Opening is synchronous. */
export class NativeTransferSocket implements TransferSocket {
  private readonly binding: NativeAddon;
  private readonly handle: NativeUdpHandle;
  private readonly receiveBuffer = Buffer.alloc(RECEIVE_BYTES);
  private readonly backlog: QueuedSend[] = [];
  private readonly clientAddress: number;
  private readonly clientPort: number;
  private readonly connected: boolean;
  private readonly stats: TransferSocketStats;
  private readonly onSocketError: (error: Error) => void;
  private transfer: ReadTransfer | null = null;
  /** The transfer's window once accelerated; its `queued` field mirrors the backlog. */
  private window: Window | null = null;
  /** Steps running, nested (see `exclusive`). */
  private depth = 0;
  /** Whether the ACK thread may hold the socket: set by an engage that took, cleared by reclaim and by every event. */
  private lent = false;
  private closed = false;
  /** Sends JavaScript made that the kernel refused with EAGAIN (the addon counts its own in the window). */
  private refusedSends = 0;
  /** A failure report is on its way; the ones after it would say the same. */
  private failing = false;

  private readonly clock: TransferClock;

  /**
   * Throws a system error (`code` EADDRNOTAVAIL, …) when the socket cannot be bound or connected.
   * `options.clock` must be the transfer's clock; the addon stamps progress in it (it must be a real
   * clock: the addon reads the monotonic time itself and adds the offset seen at `accelerate`).
   */
  constructor(binding: NativeAddon, options: TransferSocketOptions) {
    this.binding = binding;
    this.clock = options.clock;
    this.clientAddress = ipToInt(options.clientIp);
    this.clientPort = options.clientPort;
    this.connected = !options.answerStrangers;
    this.stats = options.stats;
    this.onSocketError = options.onError;
    this.readCached = pageCacheRead(binding);
    this.handle = binding.open(options.serverIp, options.clientIp, options.clientPort, this.connected, this.receiveBuffer, (kind, a, b, c) =>
      this.onEvent(kind, a, b, c),
    );
  }

  attach(transfer: ReadTransfer): void {
    this.transfer = transfer;
  }

  accelerate(window: Window, ring: Buffer, layout: WindowLayout): void {
    if (this.closed || this.window !== null) return;
    this.window = window;
    window.queued = this.backlog.length;
    this.binding.accelerate(this.handle, window.shared, ring, { ...layout, clockNow: this.clock.now() });
  }

  /**
   * Runs `step` with the socket (and so the window) back from the ACK thread, then lends it out again
   * if the window can be served there (the addon refuses unless it is active with nothing queued).
   * Nested steps neither take back nor lend.
   */
  exclusive<T>(step: () => T): T {
    if (this.depth === 0 && this.lent) {
      this.lent = false;
      if (!this.closed) this.binding.reclaim(this.handle);
    }
    this.depth += 1;
    try {
      return step();
    } finally {
      this.depth -= 1;
      if (this.depth === 0 && !this.closed && this.window !== null && this.backlog.length === 0) this.lent = this.binding.engage(this.handle);
    }
  }

  /** What the page cache holds of `fd` from `position`, read by the addon without waiting for the disk. */
  readonly readCached: PageCacheRead;

  /** Sends `buf[offset, offset + length)` to the client, or queues it behind earlier sends (never throws). */
  send(buf: Buffer, offset: number, length: number): void {
    if (this.closed) return;
    if (this.backlog.length > 0) {
      this.queue({ buf, offset, length });
      return;
    }
    const status = this.binding.send(this.handle, buf, offset, length);
    if (status === 0) return;
    if (status === EAGAIN) {
      this.refusedSends += 1;
      this.queue({ buf, offset, length });
      this.binding.watchWritable(this.handle, true);
      return;
    }
    this.failLater('send', status);
  }

  pendingSends(): number {
    return this.backlog.length;
  }

  sendBufferFull(): number {
    return this.refusedSends + (this.window?.sendBufferFull ?? 0);
  }

  private queue(send: QueuedSend): void {
    this.backlog.push(send);
    if (this.window !== null) this.window.queued = this.backlog.length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.backlog.length = 0;
    this.transfer = null;
    this.binding.close(this.handle);
  }

  private onEvent(kind: number, a: number, b: number, c: number): void {
    if (this.closed) return;
    // The addon delivers events only from a socket handed back to the event loop.
    this.lent = false;
    // Whatever the event is (a stranger, garbage, an ACK the transfer ignores), the socket is lent out again after it.
    this.exclusive(() => this.dispatch(kind, a, b, c));
  }

  private dispatch(kind: number, a: number, b: number, c: number): void {
    if (kind === NativeUdpEvent.Datagram) {
      if (!this.connected && (b !== this.clientAddress || c !== this.clientPort)) {
        // Only reachable when unconnected (answerStrangers): a connected socket never sees these.
        this.stats.strangers += 1;
        this.binding.sendTo(this.handle, UNKNOWN_TID, 0, UNKNOWN_TID.length, b, c);
        return;
      }
      deliverToTransfer(this.transfer, this.receiveBuffer, a, this.stats);
    } else if (kind === NativeUdpEvent.ReceiveError) {
      this.onSocketError(systemError('recv', a));
    } else if (kind === NativeUdpEvent.Writable) {
      this.flush();
    } else if (kind === NativeUdpEvent.Resume) {
      this.transfer?.resume();
    }
  }

  /** Sends what the backlog holds, in order, until it is empty or the kernel pushes back again. */
  private flush(): void {
    while (this.backlog.length > 0 && !this.closed) {
      const next = this.backlog[0]!;
      const status = this.binding.send(this.handle, next.buf, next.offset, next.length);
      if (status === EAGAIN) {
        this.refusedSends += 1;
        return;
      }
      this.backlog.shift();
      if (this.window !== null) this.window.queued = this.backlog.length;
      if (status !== 0) this.failLater('send', status);
    }
    if (this.closed) return;
    this.binding.watchWritable(this.handle, false);
    // The transfer may have held back a read while packets waited here: let it look again.
    this.transfer?.resume();
  }

  /** Reports a send failure after the current call returns, as node:dgram does: never inside the transfer's own send loop. */
  private failLater(syscall: string, status: number): void {
    if (this.failing) return;
    this.failing = true;
    process.nextTick(() => {
      this.failing = false;
      if (!this.closed) this.onSocketError(systemError(syscall, status));
    });
  }
}

/** An Error like node's system errors: `code` ECONNREFUSED, `errno` -111, `syscall` send. */
function systemError(syscall: string, errno: number): NodeJS.ErrnoException {
  const code = getSystemErrorName(errno);
  return Object.assign(new Error(`${syscall} ${code}`), { code, errno, syscall });
}
