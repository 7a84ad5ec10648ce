/**
 * Test doubles for the transfer state machine: a fake clock whose timers run only when the test says so,
 * and a simulated network between a `ReadTransfer` and a TFTP client that can lose, duplicate and reorder
 * packets (seeded, so a failure is reproducible). The client follows RFC 1350 (lock-step) and RFC 7440
 * (ACK at the end of each window, or the last in-order block on a gap or a timeout).
 */
import type { TransferClock, TransferSender } from '../../src/tftp/transfer/transfer.js';

interface Timer {
  id: number;
  at: number;
  seq: number;
  callback: () => void;
}

/** A clock that only moves when `runNext` is called. */
export class FakeClock implements TransferClock {
  private time = 0;
  private seq = 0;
  private readonly timers = new Map<number, Timer>();

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    this.seq += 1;
    const timer = { id: this.seq, at: this.time + Math.max(0, ms), seq: this.seq, callback };
    this.timers.set(timer.id, timer);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Pending timers. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, running the timers that fall due on the way. */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const t of this.timers.values()) if (t.at <= until && (!next || t.at < next.at)) next = t;
      if (!next) break;
      this.runNext();
    }
    this.time = until;
  }

  /** Advances to the earliest timer and runs it; false when none is pending. */
  runNext(): boolean {
    let next: Timer | undefined;
    for (const t of this.timers.values()) if (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq)) next = t;
    if (!next) return false;
    this.timers.delete(next.id);
    this.time = Math.max(this.time, next.at);
    next.callback();
    return true;
  }
}

/** Lets pending promise callbacks (content reads) run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A seeded pseudo-random generator (mulberry32) returning [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How the simulated network misbehaves, each a probability per packet. */
export interface Impairment {
  loss: number;
  duplicate: number;
  /** Packets get a random extra delay of up to `jitterMs` (this reorders them). */
  reorder: number;
  jitterMs: number;
}

/** Every packet delivered once, in order, after 1 ms. */
export const PERFECT: Impairment = { loss: 0, duplicate: 0, reorder: 0, jitterMs: 0 };

/** What a transfer sees from the simulated client. */
export interface ServerSide {
  handleAck(block: number): void;
  handleError(code: number, message: string): void;
}

/** A simulated client plus the network to and from it. */
export class SimulatedClient implements TransferSender {
  /** The payload received in order. */
  readonly received: Buffer[] = [];
  /** Every DATA block number seen on the wire (16-bit), in arrival order, for rollover checks. */
  readonly wireBlocks: number[] = [];
  /** DATA packets the server sent (including resends). */
  dataSent = 0;
  done = false;
  private expected = 1; // next absolute block wanted
  private lastInOrder = 0;
  private sinceAck = 0;
  private clientTimer: unknown = null;
  server: ServerSide | null = null;

  constructor(
    private readonly clock: FakeClock,
    private readonly random: () => number,
    private readonly impairment: Impairment,
    private readonly blksize: number,
    private readonly windowsize: number,
    private readonly clientTimeoutMs = 700,
  ) {}

  pendingSends(): number {
    return 0;
  }

  exclusive<T>(step: () => T): T {
    return step();
  }

  /** The server sends a packet: copy it now (the server reuses its buffer), deliver it later. */
  send(buf: Buffer, offset: number, length: number): void {
    const packet = Buffer.from(buf.subarray(offset, offset + length));
    if (packet.readUInt16BE(0) === 3) this.dataSent += 1;
    this.transmit(() => this.receive(packet));
  }

  /** The client's first ACK after an OACK. */
  ackOack(): void {
    this.transmit(() => this.server?.handleAck(0));
    this.armClientTimer();
  }

  private transmit(deliver: () => void): void {
    const { loss, duplicate, reorder, jitterMs } = this.impairment;
    if (this.random() < loss) return;
    const copies = this.random() < duplicate ? 2 : 1;
    for (let i = 0; i < copies; i += 1) {
      const delay = 1 + (this.random() < reorder ? Math.floor(this.random() * jitterMs) : 0);
      this.clock.setTimeout(deliver, delay);
    }
  }

  private receive(packet: Buffer): void {
    if (this.done) {
      // Dally (RFC 1350 §6): answer a resent final block again, in case our final ACK was lost.
      if (packet.readUInt16BE(0) === 3 && packet.readUInt16BE(2) === (this.lastInOrder & 0xffff)) this.sendAck(this.lastInOrder);
      return;
    }
    const opcode = packet.readUInt16BE(0);
    if (opcode === 6) {
      // OACK: acknowledge with ACK 0 (each copy, as real clients do).
      this.ackOack();
      return;
    }
    if (opcode !== 3) return;
    const wire = packet.readUInt16BE(2);
    this.wireBlocks.push(wire);
    if (wire !== (this.expected & 0xffff)) {
      // Out of order or duplicate: with windows, ACK the last in-order block so the server resends from
      // there (RFC 7440 §4); in lock-step, re-ACK only for the block just before (tftp-hpa does this).
      if (this.windowsize > 1) this.sendAck(this.lastInOrder);
      return;
    }
    const data = packet.subarray(4);
    this.received.push(data);
    this.lastInOrder = this.expected;
    this.expected += 1;
    this.sinceAck += 1;
    const last = data.length < this.blksize;
    if (last || this.sinceAck >= this.windowsize) this.sendAck(this.lastInOrder);
    if (last) {
      this.done = true;
      if (this.clientTimer !== null) this.clock.clearTimeout(this.clientTimer);
    } else {
      this.armClientTimer();
    }
  }

  private sendAck(block: number): void {
    this.sinceAck = 0;
    const wire = block & 0xffff;
    this.transmit(() => this.server?.handleAck(wire));
  }

  private armClientTimer(): void {
    if (this.clientTimer !== null) this.clock.clearTimeout(this.clientTimer);
    this.clientTimer = this.clock.setTimeout(() => {
      this.clientTimer = null;
      if (this.done) return;
      this.sendAck(this.lastInOrder);
      this.armClientTimer();
    }, this.clientTimeoutMs);
  }

  /** Everything received, concatenated. */
  data(): Buffer {
    return Buffer.concat(this.received);
  }
}
