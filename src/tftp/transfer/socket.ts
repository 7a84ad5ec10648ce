/**
 * The socket side of one transfer: a UDP socket bound to the server address the request arrived on, with
 * an ephemeral port (the server's transfer ID, RFC 1350 §4), talking to one client address and port.
 * Replies therefore come from the IP the client sent its RRQ to (PXELINUX and tftpy drop anything else).
 *
 * By default the socket is connected to the client, so the kernel drops datagrams from any other address
 * or port before they reach us. With `answerStrangers` it stays unconnected and answers them with
 * ERROR 5 (RFC 1350 §4) without disturbing the transfer.
 *
 * Two engines implement it (`engine.ts` picks one): the `xenboot_udp` addon and node:dgram.
 * This module holds what they share.
 */
import { decodeTftpPacket, encodeTftpPacket, TftpErrorCode, TftpOpcode } from '../codec/packet.js';
import type { ReadTransfer, TransferClock, TransferSender } from './transfer.js';

/** Counters shared with the server. */
export interface TransferSocketStats {
  /** Datagrams on transfer sockets from a foreign address/port. */
  strangers: number;
  /** Malformed or unexpected datagrams on transfer sockets. */
  transferGarbage: number;
}

/** A read of cached file pages that never waits (see `TransferSender.readCached`). */
export type PageCacheRead = (fd: number, targets: readonly Buffer[], position: number) => number | null;

/** What a transfer socket needs to open. */
export interface TransferSocketOptions {
  serverIp: string;
  clientIp: string;
  clientPort: number;
  answerStrangers: boolean;
  stats: TransferSocketStats;
  /** Socket failures after open; ECONNREFUSED means the client's port is unreachable (it has gone). */
  onError: (error: Error) => void;
  /** The transfer's clock (the native engine stamps progress in it). */
  clock: TransferClock;
  /** Where the engine has one, the page-cache read the socket offers its transfer. */
  readCached?: PageCacheRead | null;
}

/** A bound transfer socket; `attach` hands it the transfer whose packets it delivers. */
export interface TransferSocket extends TransferSender {
  /** Delivers this socket's ACK/ERROR packets to `transfer`. */
  attach(transfer: ReadTransfer): void;
  /** Closes the socket; idempotent. */
  close(): void;
}

/** ERROR 5, sent to a datagram from a foreign address or port when `answerStrangers` is on. */
export const UNKNOWN_TID = encodeTftpPacket({ type: 'error', code: TftpErrorCode.UnknownTransferId, message: 'unknown transfer ID' });

/**
 * Hands one datagram from the client to its transfer: ACKs (nearly all a transfer socket receives) on a
 * fast path, ERRORs decoded, anything else counted as garbage. `length` bytes of `msg` are the datagram.
 */
export function deliverToTransfer(transfer: ReadTransfer | null, msg: Buffer, length: number, stats: TransferSocketStats): void {
  if (transfer === null) return;
  if (length >= 4 && msg.readUInt16BE(0) === TftpOpcode.Ack) {
    transfer.handleAck(msg.readUInt16BE(2));
    return;
  }
  let packet;
  try {
    packet = decodeTftpPacket(length === msg.length ? msg : msg.subarray(0, length));
  } catch {
    stats.transferGarbage += 1;
    return;
  }
  if (packet.type === 'error') transfer.handleError(packet.code, packet.message);
  else stats.transferGarbage += 1;
}
