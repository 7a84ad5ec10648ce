/**
 * The sliding-window state of one read transfer, with named fields over a Float64Array that a transfer
 * engine may share: the native engine's addon (native/ack_answer.c) slides the window and sends the
 * next loaded DATA blocks on an in-order ACK without entering JavaScript, writing the same fields
 * `ReadTransfer` reads. It does so only while it owns the window (see `WindowOwner` in `transfer.ts`),
 * so the two sides never touch the fields at the same time.
 *
 * This class owns the layout: nothing else indexes the array. The field order is part of the addon's
 * interface and is written out a second time, for C, in native/window_layout.h; a test reads that
 * header and fails when the two differ.
 *
 * Block numbers are absolute (not wrapped to 16 bits); doubles hold them exactly far beyond any file.
 */

/** Field order of the shared array: index → name. The C enum in native/window_layout.h lists the same names, in upper snake case. */
export const WINDOW_LAYOUT = [
  'base',
  'next',
  'highest',
  'loaded',
  'retransmits',
  'progressAt',
  'attempts',
  'active',
  'wakeAtBase',
  'queued',
  'reading',
  'sendBufferFull',
] as const;

const BASE = 0;
const NEXT = 1;
const HIGHEST = 2;
const LOADED = 3;
const RETRANSMITS = 4;
const PROGRESS_AT = 5;
const ATTEMPTS = 6;
const ACTIVE = 7;
const WAKE_AT_BASE = 8;
const QUEUED = 9;
const READING = 10;
const SEND_BUFFER_FULL = 11;

/** A transfer's window. A fresh one has nothing sent, nothing loaded and is not active. */
export class Window {
  /** The array an engine shares; only this class and the addon index it. */
  readonly shared = new Float64Array(WINDOW_LAYOUT.length);

  constructor() {
    this.shared[BASE] = 1;
    this.shared[NEXT] = 1;
    this.shared[LOADED] = 1;
    this.shared[WAKE_AT_BASE] = Infinity;
  }

  /** First block not yet acknowledged. */
  get base(): number {
    return this.shared[BASE]!;
  }
  set base(block: number) {
    this.shared[BASE] = block;
  }

  /** Next block to put on the wire. */
  get next(): number {
    return this.shared[NEXT]!;
  }
  set next(block: number) {
    this.shared[NEXT] = block;
  }

  /** Highest block sent so far (to tell new sends from resends). */
  get highest(): number {
    return this.shared[HIGHEST]!;
  }
  set highest(block: number) {
    this.shared[HIGHEST] = block;
  }

  /** Blocks below this are loaded in the ring. */
  get loaded(): number {
    return this.shared[LOADED]!;
  }
  set loaded(block: number) {
    this.shared[LOADED] = block;
  }

  /** DATA and OACK packets sent again. */
  get retransmits(): number {
    return this.shared[RETRANSMITS]!;
  }
  set retransmits(count: number) {
    this.shared[RETRANSMITS] = count;
  }

  /**
   * Clock time (TransferClock.now) of the last progress; the retransmit deadline counts from it. The
   * one field read without owning the window (the retransmit timer's first look): an aligned 8-byte
   * value, and a stale one only makes the timer look again with the window in hand.
   */
  get progressAt(): number {
    return this.shared[PROGRESS_AT]!;
  }
  set progressAt(time: number) {
    this.shared[PROGRESS_AT] = time;
  }

  /** Retransmissions since the last progress. */
  get attempts(): number {
    return this.shared[ATTEMPTS]!;
  }
  set attempts(count: number) {
    this.shared[ATTEMPTS] = count;
  }

  /** Whether the transfer sends DATA, so that the engine may answer ACKs itself. */
  get active(): boolean {
    return this.shared[ACTIVE] === 1;
  }
  set active(active: boolean) {
    this.shared[ACTIVE] = active ? 1 : 0;
  }

  /** The base at which the ring has room for the next read: the engine hands control back there. */
  get wakeAtBase(): number {
    return this.shared[WAKE_AT_BASE]!;
  }
  set wakeAtBase(block: number) {
    this.shared[WAKE_AT_BASE] = block;
  }

  /** Sends queued in JavaScript (the kernel pushed back); the engine keeps off while non-zero. */
  get queued(): number {
    return this.shared[QUEUED]!;
  }
  set queued(count: number) {
    this.shared[QUEUED] = count;
  }

  /** Whether JavaScript reads a chunk asynchronously; the engine then leaves the ring's free part alone. */
  get reading(): boolean {
    return this.shared[READING] === 1;
  }
  set reading(reading: boolean) {
    this.shared[READING] = reading ? 1 : 0;
  }

  /** Sends the engine found the socket's send buffer too full for (EAGAIN); JavaScript then sent them. */
  get sendBufferFull(): number {
    return this.shared[SEND_BUFFER_FULL]!;
  }
}
