/**
 * The sliding-window state of one read transfer, kept in a Float64Array so that the native UDP engine
 * can advance it too: on an in-order ACK the addon (native/udp_socket.c) slides the window and sends the
 * next loaded DATA blocks without entering JavaScript, writing the same fields `ReadTransfer` reads.
 * The addon may do so on its own ACK thread, but only while it owns the socket (between `engage` and the
 * hand-back or `reclaim`, under its lock), so the two sides never touch the fields at the same time.
 *
 * Block numbers are absolute (not wrapped to 16 bits); doubles hold them exactly far beyond any file.
 * The field order is part of the addon's interface: change both together.
 */

/** Field indices. */
export const WindowField = {
  /** First block not yet acknowledged. */
  Base: 0,
  /** Next block to put on the wire. */
  Next: 1,
  /** Highest block sent so far (to tell new sends from resends). */
  Highest: 2,
  /** Blocks below this are loaded in the ring. */
  Loaded: 3,
  /** DATA and OACK packets sent again. */
  Retransmits: 4,
  /** Clock time (TransferClock.now) of the last progress; the retransmit deadline counts from it. */
  ProgressAt: 5,
  /** Retransmissions since the last progress. */
  Attempts: 6,
  /** 1 while the transfer sends DATA and the addon may answer ACKs itself; 0 otherwise. */
  Active: 7,
  /** The base at which the ring has room for the next read: the addon hands control back there. */
  WakeAtBase: 8,
  /** Sends queued in JavaScript (the kernel pushed back); the addon keeps off while non-zero. */
  Queued: 9,
  /** 1 while JavaScript reads a chunk asynchronously; the addon then leaves the ring's free part alone. */
  Reading: 10,
  /** Sends the addon found the socket's send buffer too full for (EAGAIN); JavaScript then sent them. */
  SendBufferFull: 11,
} as const;

/** Number of fields. */
export const WINDOW_FIELDS = 12;

/** A fresh state: nothing sent, nothing loaded, not active. */
export function newWindowState(): Float64Array {
  const state = new Float64Array(WINDOW_FIELDS);
  state[WindowField.Base] = 1;
  state[WindowField.Next] = 1;
  state[WindowField.Loaded] = 1;
  state[WindowField.WakeAtBase] = Infinity;
  return state;
}
