/**
 * A transfer socket on node:dgram: portable, and the fallback where the `xenboot_udp` addon is not built.
 */
import { createSocket, type Socket } from 'node:dgram';
import { bindUdp } from '../../net/udp-bind.js';
import { deliverToTransfer, UNKNOWN_TID, type PageCacheRead, type TransferSocket, type TransferSocketOptions, type TransferSocketStats } from './socket.js';
import type { ReadTransfer } from './transfer.js';

/** A bound node:dgram transfer socket. */
export class DgramTransferSocket implements TransferSocket {
  private transfer: ReadTransfer | null = null;
  private closed = false;
  /**
   * node:dgram drops the error of a send made without a callback when the kernel reports it at once, as
   * it does for an ICMP port unreachable on a connected socket (the send, not a later receive, returns
   * ECONNREFUSED). One callback for every send keeps those errors.
   */
  private readonly afterSend: (error: Error | null) => void;

  private constructor(
    private readonly socket: Socket,
    private readonly clientIp: string,
    private readonly clientPort: number,
    private readonly connected: boolean,
    private readonly stats: TransferSocketStats,
    onSocketError: (error: Error) => void,
    private readonly pageCache: PageCacheRead | null,
  ) {
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo.address, rinfo.port));
    socket.on('error', onSocketError);
    this.afterSend = (error) => {
      if (error !== null && !this.closed) onSocketError(error);
    };
  }

  /** Binds (and, unless `answerStrangers`, connects) a socket for one transfer. */
  static async open(options: TransferSocketOptions): Promise<DgramTransferSocket> {
    const socket = createSocket({ type: 'udp4' });
    try {
      await bindUdp(socket, options.serverIp, 0);
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
    return new DgramTransferSocket(socket, options.clientIp, options.clientPort, !options.answerStrangers, options.stats, options.onError, options.readCached ?? null);
  }

  attach(transfer: ReadTransfer): void {
    this.transfer = transfer;
  }

  /** Cached file pages, where the engine brought a page-cache read (`null`: none, or nothing cached). */
  readCached(fd: number, targets: readonly Buffer[], position: number): number | null {
    return this.pageCache === null ? null : this.pageCache(fd, targets, position);
  }

  /** The window is never shared: `step` runs as it is. */
  exclusive<T>(step: () => T): T {
    return step();
  }

  /** Sends `buf[offset, offset + length)` to the client (never throws; errors arrive as socket errors). */
  send(buf: Buffer, offset: number, length: number): void {
    if (this.closed) return;
    if (this.connected) this.socket.send(buf, offset, length, this.afterSend);
    else this.socket.send(buf, offset, length, this.clientPort, this.clientIp, this.afterSend);
  }

  pendingSends(): number {
    return this.socket.getSendQueueCount();
  }

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
    deliverToTransfer(this.transfer, msg, msg.length, this.stats);
  }
}
