/**
 * The socket side of one transfer: a UDP socket bound to the server address the request arrived on, with
 * an ephemeral port (the server's transfer ID, RFC 1350 §4), talking to one client address and port.
 * Replies therefore come from the IP the client sent its RRQ to (PXELINUX and tftpy drop anything else).
 *
 * By default the socket is connected to the client, so the kernel drops datagrams from any other address
 * or port before they reach us. With `answerStrangers` it stays unconnected and answers them with
 * ERROR 5 (RFC 1350 §4) without disturbing the transfer.
 */
import { createSocket, type Socket } from 'node:dgram';
import { decodeTftpPacket, encodeTftpPacket, TftpErrorCode, TftpOpcode } from './packet.js';
import type { ReadTransfer, TransferSender } from './transfer.js';

/** Counters shared with the server. */
export interface TransferSocketStats {
  /** Datagrams on transfer sockets from a foreign address/port. */
  strangers: number;
  /** Malformed or unexpected datagrams on transfer sockets. */
  transferGarbage: number;
}

const UNKNOWN_TID = encodeTftpPacket({ type: 'error', code: TftpErrorCode.UnknownTransferId, message: 'unknown transfer ID' });

/** A bound transfer socket; `attach` hands it the transfer whose packets it delivers. */
export class TransferSocket implements TransferSender {
  private transfer: ReadTransfer | null = null;
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    private readonly clientIp: string,
    private readonly clientPort: number,
    private readonly connected: boolean,
    private readonly stats: TransferSocketStats,
    private readonly onSocketError: (error: Error) => void,
  ) {
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo.address, rinfo.port));
    socket.on('error', (error) => this.onSocketError(error));
  }

  /** Opens a socket on `serverIp` (ephemeral port) for a transfer with `clientIp:clientPort`. */
  static async open(options: {
    serverIp: string;
    clientIp: string;
    clientPort: number;
    answerStrangers: boolean;
    stats: TransferSocketStats;
    onError: (error: Error) => void;
  }): Promise<TransferSocket> {
    const socket = createSocket({ type: 'udp4' });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ address: options.serverIp, port: 0, exclusive: true }, () => {
          socket.off('error', reject);
          resolve();
        });
      });
      if (!options.answerStrangers) {
        await new Promise<void>((resolve, reject) => {
          socket.once('error', reject);
          socket.connect(options.clientPort, options.clientIp, () => {
            socket.off('error', reject);
            resolve();
          });
        });
      }
    } catch (error) {
      socket.close();
      throw error;
    }
    return new TransferSocket(socket, options.clientIp, options.clientPort, !options.answerStrangers, options.stats, options.onError);
  }

  /** Delivers this socket's ACK/ERROR packets to `transfer`. */
  attach(transfer: ReadTransfer): void {
    this.transfer = transfer;
  }

  /** Sends `buf[offset, offset + length)` to the client (never throws; errors arrive as socket errors). */
  send(buf: Buffer, offset: number, length: number): void {
    if (this.closed) return;
    if (this.connected) this.socket.send(buf, offset, length);
    else this.socket.send(buf, offset, length, this.clientPort, this.clientIp);
  }

  /** Sends still queued in the socket. */
  pendingSends(): number {
    return this.socket.getSendQueueCount();
  }

  /** Closes the socket; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }

  private onMessage(msg: Buffer, address: string, port: number): void {
    if (address !== this.clientIp || port !== this.clientPort) {
      // Only reachable when unconnected (answerStrangers): a connected socket never sees these.
      this.stats.strangers += 1;
      if (!this.closed) this.socket.send(UNKNOWN_TID, 0, UNKNOWN_TID.length, port, address);
      return;
    }
    const transfer = this.transfer;
    if (transfer === null) return;
    // Fast path: ACKs are nearly all a transfer socket receives.
    if (msg.length >= 4 && msg.readUInt16BE(0) === TftpOpcode.Ack) {
      transfer.handleAck(msg.readUInt16BE(2));
      return;
    }
    let packet;
    try {
      packet = decodeTftpPacket(msg);
    } catch {
      this.stats.transferGarbage += 1;
      return;
    }
    if (packet.type === 'error') transfer.handleError(packet.code, packet.message);
    else this.stats.transferGarbage += 1;
  }
}
