/**
 * Turning the end of a TFTP request into the two things an operator sees: a boot event on the bus (for
 * the timeline and metrics) and a log line, at a level that matches how interesting the outcome is.
 */
import type { TftpOutcome, TftpTransferEvent } from '../timeline/types.js';
import type { Logger } from '../log.js';
import { TFTP_DEFAULT_BLKSIZE } from './codec/options.js';
import type { TransferResult } from './transfer/transfer.js';

/** What is known about a request when it ends. */
export interface TftpRequestEnd {
  clientIp: string;
  clientPort: number;
  serverIp: string;
  /** The file name as the client sent it. */
  file: string;
  outcome: TftpOutcome;
  /** Present when a transfer ran. */
  result?: TransferResult;
  size?: number;
  blksize?: number;
  windowsize?: number;
  /** Why, for refusals that never became a transfer. */
  error?: string;
}

/** Builds the boot event for a finished request (MAC left empty: the boot layer maps IP to MAC). */
export function tftpTransferEvent(end: TftpRequestEnd, at = Date.now()): TftpTransferEvent {
  const result = end.result;
  const event: TftpTransferEvent = {
    kind: 'tftp',
    at,
    ip: end.clientIp,
    port: end.clientPort,
    serverIp: end.serverIp,
    file: end.file,
    outcome: end.outcome,
    bytes: result?.bytes ?? 0,
    blksize: end.blksize ?? TFTP_DEFAULT_BLKSIZE,
    windowsize: end.windowsize ?? 1,
    durationMs: result?.durationMs ?? 0,
    retransmits: result?.retransmits ?? 0,
    sendBufferFull: result?.sendBufferFull ?? 0,
  };
  if (end.size !== undefined) event.size = end.size;
  const error = result?.error ?? end.error;
  if (error !== undefined) event.error = error;
  return event;
}

/** Logs a finished request: completions at info, misses and client aborts at debug, the rest at warn. */
export function logTftpEvent(log: Logger, event: TftpTransferEvent): void {
  const fields = { client: `${event.ip}:${event.port}`, file: event.file, outcome: event.outcome, bytes: event.bytes, ms: event.durationMs, error: event.error };
  if (event.outcome === 'complete') {
    log.info({ ...fields, blksize: event.blksize, windowsize: event.windowsize, retransmits: event.retransmits, sendBufferFull: event.sendBufferFull }, 'transfer complete');
  } else if (event.outcome === 'not-found' || event.outcome === 'aborted') {
    log.debug(fields, `transfer ${event.outcome}`);
  } else {
    log.warn(fields, `transfer ${event.outcome}`);
  }
}
