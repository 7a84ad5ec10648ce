/**
 * The read-only TFTP server: one listening socket per configured server address (Node cannot see the
 * destination address of a datagram received on 0.0.0.0), a transfer socket per read request, and
 * admission control. The receive loop is thin: bad datagrams are counted, logged at debug and dropped;
 * nothing a client sends can throw out of it.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { normaliseContentPath } from '../content/path.js';
import { ContentDenied, type Content, type ContentHandler } from '../content/types.js';
import { tftpErrorText } from './codec/error-text.js';
import type { EventBus } from '../timeline/bus.js';
import type { TransferProgressSink } from '../timeline/active-transfers.js';
import type { TftpOutcome } from '../timeline/types.js';
import type { Logger } from '../log.js';
import { bindUdp } from '../net/udp-bind.js';
import { Admission } from './admission.js';
import type { TftpConfig } from './config.js';
import { netasciiContent } from './netascii-content.js';
import { negotiateTftpOptions } from './codec/options.js';
import { logTftpEvent, tftpTransferEvent, type TftpRequestEnd } from './outcome.js';
import { decodeTftpPacket, encodeTftpPacket, TftpErrorCode, type TftpRequestPacket } from './codec/packet.js';
import { ProgressSender } from './progress-sender.js';
import { openTransferSocket, resolveTransferEngine, type TransferEngine } from './transfer/engine.js';
import type { TransferSocket } from './transfer/socket.js';
import { BufferPool } from '../content/buffer-pool.js';
import { ReadTransfer, realClock, type TransferClock } from './transfer/transfer.js';

/**
 * The shortest wait before the OACK is sent again when the client set no `timeout`. A retransmitted
 * OACK that crosses the client's slow ACK 0 makes atftp abort ("unexpected OACK"), and the OACK is sent
 * once per transfer, so a short configured timeout applies to DATA only.
 */
export const OACK_MIN_TIMEOUT_MS = 1_000;

/**
 * Memory the server keeps in read-ahead rings of ended transfers, for the next ones: about 120 rings of
 * blksize 1408 (33.9 KiB each), more than a storm's transfers end between two new ones, so a steady
 * storm allocates no rings and an idle server holds at most this much.
 */
export const RING_POOL_IDLE_BYTES = 4 * 1024 * 1024;

/** Limits and behaviour the server takes from the `tftp` config section. */
export type TftpServerSettings = Pick<
  TftpConfig,
  | 'maxBlksize'
  | 'maxWindowsize'
  | 'maxWindowBytes'
  | 'timeoutMs'
  | 'retries'
  | 'maxTransfers'
  | 'maxTransfersPerClient'
  | 'maxQueued'
  | 'queueTimeoutMs'
  | 'answerStrangers'
  | 'engine'
>;

/** What the server needs from the rest of the process. */
export interface TftpServerOptions {
  settings: TftpServerSettings;
  content: ContentHandler;
  logger: Logger;
  events?: EventBus;
  /** Where running transfers and their bytes so far are reported (the console's active transfers). */
  progress?: TransferProgressSink;
  clock?: TransferClock;
}

/** Counters, for metrics, logs and tests. */
export interface TftpServerStats {
  /** Datagrams received on listening sockets. */
  requests: number;
  /** Undecodable datagrams on listening sockets. */
  malformed: number;
  /** Decodable but not a request (DATA/ACK/… sent to the listening port). */
  unexpected: number;
  /** RRQs ignored because the same client port already has that file in flight. */
  duplicates: number;
  /** Requests that found every slot taken and waited for one. */
  queued: number;
  /** Requests refused or abandoned by admission control (queue full, or waited longer than `queueTimeoutMs`). */
  busy: number;
  strangers: number;
  transferGarbage: number;
  /** Transfers by outcome. */
  outcomes: Record<TftpOutcome, number>;
}

/** A listening address. */
export interface TftpListenAddress {
  address: string;
  port: number;
}

/** A read-only TFTP server (RFC 1350, 2347, 2348, 2349, 7440). */
export class TftpServer {
  readonly stats: TftpServerStats = {
    requests: 0,
    malformed: 0,
    unexpected: 0,
    duplicates: 0,
    queued: 0,
    busy: 0,
    strangers: 0,
    transferGarbage: 0,
    outcomes: { complete: 0, 'not-found': 0, denied: 0, aborted: 0, timeout: 0, busy: 0, error: 0 },
  };
  private readonly settings: TftpServerSettings;
  private readonly content: ContentHandler;
  private readonly log: Logger;
  private readonly events: EventBus | undefined;
  private readonly clock: TransferClock;
  private readonly listeners: Socket[] = [];
  /** Requests in flight (opening or transferring), keyed by server, client address/port and file. */
  private readonly inFlight = new Map<string, ReadTransfer | null>();
  private readonly admission: Admission<PendingRead>;
  /** Read-ahead rings of ended transfers, reused by new ones. */
  readonly ringPool = new BufferPool(RING_POOL_IDLE_BYTES);
  /** What drives transfer sockets (from `tftp.engine`; `auto` resolved). */
  readonly engine: TransferEngine;
  /** Why `auto` fell back to node:dgram, or null. */
  readonly engineFallback: string | null;
  private sweepTimer: unknown = null;
  private closing = false;
  private readonly progress: { sink: TransferProgressSink; sender: ProgressSender } | null;

  constructor(options: TftpServerOptions) {
    this.settings = options.settings;
    this.content = options.content;
    this.log = options.logger.child({ subsystem: 'tftp' });
    this.events = options.events;
    this.clock = options.clock ?? realClock;
    this.progress = options.progress ? { sink: options.progress, sender: new ProgressSender(options.progress, this.clock) } : null;
    // Throws when `native` is demanded but the addon is missing: a start failure, not a silent downgrade.
    ({ engine: this.engine, fallback: this.engineFallback } = resolveTransferEngine(this.settings.engine));
    this.admission = new Admission<PendingRead>(
      {
        maxTotal: this.settings.maxTransfers,
        maxPerClient: this.settings.maxTransfersPerClient,
        maxQueued: this.settings.maxQueued,
        maxWaitMs: this.settings.queueTimeoutMs,
      },
      () => this.clock.now(),
    );
  }

  /** Requests waiting for a transfer slot. */
  get queuedRequests(): number {
    return this.admission.queuedCount;
  }

  /** Transfers currently in flight (including requests still opening their file). */
  get activeTransfers(): number {
    return this.inFlight.size;
  }

  /** Starts listening on `address:port` (port 0 picks a free one) and resolves with the bound address. */
  async listen(address: string, port: number): Promise<TftpListenAddress> {
    const socket = createSocket({ type: 'udp4' });
    await bindUdp(socket, address, port);
    socket.on('error', (error) => this.log.warn({ err: error, address }, 'listening socket error'));
    socket.on('message', (msg, rinfo) => this.onListenerMessage(socket, address, msg, rinfo));
    this.listeners.push(socket);
    return { address, port: socket.address().port };
  }

  /** Stops listening and ends every transfer. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.listeners.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.admission.clear();
    if (this.sweepTimer !== null) this.clock.clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
    for (const transfer of [...this.inFlight.values()]) transfer?.cancel('server stopping');
    this.progress?.sender.stop();
  }

  private onListenerMessage(socket: Socket, serverIp: string, msg: Buffer, rinfo: RemoteInfo): void {
    this.stats.requests += 1;
    let packet;
    try {
      packet = decodeTftpPacket(msg);
    } catch (error) {
      this.stats.malformed += 1;
      this.log.debug({ client: `${rinfo.address}:${rinfo.port}`, err: (error as Error).message }, 'dropped malformed datagram');
      return;
    }
    if (packet.type === 'wrq') {
      this.replyError(socket, rinfo, TftpErrorCode.AccessViolation, 'read-only server');
      this.record(serverIp, rinfo, packet.filename, 'denied', { error: 'write request refused' });
      return;
    }
    if (packet.type !== 'rrq') {
      this.stats.unexpected += 1;
      this.log.debug({ client: `${rinfo.address}:${rinfo.port}`, type: packet.type }, 'dropped non-request on listening port');
      return;
    }
    if (this.closing) return;
    const key = `${serverIp} ${rinfo.address}:${rinfo.port} ${packet.filename}`;
    // A client that resends its RRQ before our first reply arrives must not get a second transfer.
    if (this.inFlight.has(key)) {
      this.stats.duplicates += 1;
      return;
    }
    const pending: PendingRead = { socket, serverIp, packet, rinfo };
    switch (this.admission.request(key, rinfo.address, pending)) {
      case 'admitted':
        this.startRead(key, pending);
        return;
      case 'duplicate':
        this.stats.duplicates += 1;
        return;
      case 'queued':
        this.stats.queued += 1;
        this.scheduleSweep();
        this.log.debug({ client: `${rinfo.address}:${rinfo.port}`, file: packet.filename, waiting: this.admission.queuedCount }, 'request waits for a transfer slot');
        return;
      case 'refused': {
        this.stats.busy += 1;
        const scope = this.admission.limitReached(rinfo.address);
        if (this.settings.maxQueued === 0) {
          // Queueing disabled: say so at once.
          this.replyError(socket, rinfo, TftpErrorCode.NotDefined, 'server busy, try again later');
          this.record(serverIp, rinfo, packet.filename, 'busy', { error: `${scope} reached` });
        } else {
          // Queue full: drop silently; the client retransmits its RRQ and may find a slot then.
          this.record(serverIp, rinfo, packet.filename, 'busy', { error: `${scope} reached and ${this.settings.maxQueued} requests waiting` });
        }
      }
    }
  }

  /** Runs an admitted request; its slot is released when it ends, admitting the next waiting one. */
  private startRead(key: string, pending: PendingRead): void {
    const { socket, serverIp, packet, rinfo } = pending;
    this.inFlight.set(key, null);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.inFlight.delete(key);
      this.applyDrain(this.admission.release(rinfo.address));
    };
    this.serveRead(socket, serverIp, packet, rinfo, key, release).catch((error: unknown) => {
      // serveRead handles its own failures; this only guards against a bug turning into a crash.
      release();
      this.log.error({ err: error }, 'unexpected failure serving a read request');
    });
  }

  /** Starts the waiting requests that got a slot and records the ones that waited too long. */
  private applyDrain({ admitted, expired }: ReturnType<Admission<PendingRead>['drain']>): void {
    for (const gone of expired) {
      this.stats.busy += 1;
      const { serverIp, rinfo, packet } = gone.item;
      this.record(serverIp, rinfo, packet.filename, 'busy', { error: `waited ${Math.round(gone.waitedMs)} ms for a transfer slot` });
    }
    if (this.closing) return;
    for (const next of admitted) this.startRead(next.key, next.item);
  }

  /** While requests wait, looks at the queue a few times per `queueTimeoutMs` to abandon expired ones promptly. */
  private scheduleSweep(): void {
    if (this.sweepTimer !== null || this.closing) return;
    this.sweepTimer = this.clock.setTimeout(() => {
      this.sweepTimer = null;
      this.applyDrain(this.admission.drain());
      if (this.admission.queuedCount > 0) this.scheduleSweep();
    }, Math.max(20, Math.floor(this.settings.queueTimeoutMs / 4)));
  }

  /** Opens the content, negotiates, and runs the transfer. */
  private async serveRead(
    listener: Socket,
    serverIp: string,
    request: TftpRequestPacket,
    rinfo: RemoteInfo,
    key: string,
    release: () => void,
  ): Promise<void> {
    const mode = request.mode.toLowerCase();
    if (mode !== 'octet' && mode !== 'netascii') {
      release();
      this.replyError(listener, rinfo, TftpErrorCode.IllegalOperation, `unsupported mode ${request.mode}`);
      this.record(serverIp, rinfo, request.filename, 'denied', { error: `mode ${request.mode}` });
      return;
    }
    let content: Content | null;
    try {
      const path = normaliseContentPath(request.filename);
      content = await this.content({ path, rawPath: request.filename, protocol: 'tftp', clientIp: rinfo.address, clientPort: rinfo.port, serverIp });
      if (content !== null && mode === 'netascii') {
        content = await netasciiContent(content);
        if (content === null) throw new ModeRefused('file too large for netascii mode, use octet (binary) mode');
      }
    } catch (error) {
      release();
      const denied = error instanceof ContentDenied;
      const refused = error instanceof ModeRefused;
      const code = denied ? TftpErrorCode.AccessViolation : refused ? TftpErrorCode.IllegalOperation : TftpErrorCode.NotDefined;
      const text = denied ? tftpErrorText((error as ContentDenied).clientMessage ?? 'access violation') : refused ? (error as Error).message : 'server error';
      this.replyError(listener, rinfo, code, text);
      this.record(serverIp, rinfo, request.filename, denied || refused ? 'denied' : 'error', { error: (error as Error).message });
      return;
    }
    if (content === null) {
      // Answer at once: PXELINUX probes a dozen names per boot, pypxeboot three.
      release();
      this.replyError(listener, rinfo, TftpErrorCode.FileNotFound, 'file not found');
      this.record(serverIp, rinfo, request.filename, 'not-found', {});
      return;
    }
    const found = content;
    const negotiation = negotiateTftpOptions(request.options, found.size, this.settings);
    let socket: TransferSocket;
    let transfer: ReadTransfer | null = null;
    try {
      socket = await openTransferSocket(this.engine, {
        serverIp,
        clientIp: rinfo.address,
        clientPort: rinfo.port,
        answerStrangers: this.settings.answerStrangers,
        stats: this.stats,
        clock: this.clock,
        onError: (error) => {
          // ICMP port unreachable on the connected socket: the client has gone away (perhaps because it is done).
          if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED') transfer?.clientUnreachable();
          else transfer?.cancel(`socket error: ${error.message}`, 'error');
        },
      });
    } catch (error) {
      release();
      await found.close();
      this.replyError(listener, rinfo, TftpErrorCode.NotDefined, 'server error');
      this.record(serverIp, rinfo, request.filename, 'error', { error: `transfer socket: ${(error as Error).message}` });
      return;
    }
    const progressId = this.progress?.sink.begin({ via: 'tftp', file: request.filename, ip: rinfo.address, port: rinfo.port, size: found.size }) ?? null;
    transfer = new ReadTransfer({
      content: found,
      blksize: negotiation.blksize,
      windowsize: negotiation.windowsize,
      timeoutMs: negotiation.timeoutMs ?? this.settings.timeoutMs,
      // A timeout the client asked for is used as it is (RFC 2349); otherwise the OACK waits at least 1 s.
      oackTimeoutMs: negotiation.timeoutMs ?? Math.max(this.settings.timeoutMs, OACK_MIN_TIMEOUT_MS),
      retries: this.settings.retries,
      oack: negotiation.accepted,
      sender: socket,
      clock: this.clock,
      // onEnd closes the socket first, as the pool requires.
      ringPool: this.ringPool,
      onEnd: (result) => {
        socket.close();
        if (progressId !== null) this.progress!.sender.remove(progressId);
        release();
        void found.close();
        this.record(serverIp, rinfo, request.filename, result.outcome, {
          result,
          size: found.size,
          blksize: negotiation.blksize,
          windowsize: negotiation.windowsize,
        });
      },
    });
    if (this.closing) {
      transfer.cancel('server stopping');
      return;
    }
    if (progressId !== null) this.progress!.sender.add(progressId, transfer);
    this.inFlight.set(key, transfer);
    socket.attach(transfer);
    transfer.start();
  }

  private replyError(socket: Socket, rinfo: RemoteInfo, code: number, message: string): void {
    try {
      const packet = encodeTftpPacket({ type: 'error', code, message });
      socket.send(packet, 0, packet.length, rinfo.port, rinfo.address);
    } catch (error) {
      this.log.debug({ err: error }, 'could not send ERROR');
    }
  }

  /** Counts, logs and emits the event for one request. */
  private record(
    serverIp: string,
    rinfo: RemoteInfo,
    file: string,
    outcome: TftpOutcome,
    details: Pick<TftpRequestEnd, 'result' | 'size' | 'blksize' | 'windowsize' | 'error'>,
  ): void {
    this.stats.outcomes[outcome] += 1;
    const event = tftpTransferEvent({ clientIp: rinfo.address, clientPort: rinfo.port, serverIp, file, outcome, ...details });
    this.events?.emit(event);
    logTftpEvent(this.log, event);
  }
}

/** A read request between its arrival and its start. */
interface PendingRead {
  socket: Socket;
  serverIp: string;
  packet: TftpRequestPacket;
  rinfo: RemoteInfo;
}

/** A request refused because of its transfer mode. */
class ModeRefused extends Error {}
