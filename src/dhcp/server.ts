/**
 * The DHCP socket loop. Receives on 0.0.0.0:`port` (limited broadcasts only arrive on a wildcard socket)
 * and sends from a second socket bound to `server.address`:`port` with broadcast enabled, so broadcasts
 * leave the interface that owns the server address (boot-protocols.md §6). Unicasts to the server
 * address (renewals, relays) arrive on that second socket and are handled the same way. In proxy mode a
 * third socket serves the PXE boot-server port 4011. Bad datagrams are logged at debug, counted and
 * dropped; nothing here throws on input.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Booter } from '../boot/machine.js';
import type { EventBus } from '../timeline/bus.js';
import type { DhcpExchangeEvent } from '../timeline/types.js';
import type { Logger } from '../log.js';
import { parseMac } from '../net/mac.js';
import { bindUdp } from '../net/udp-bind.js';
import type { LeaseStore } from '../store/types.js';
import type { DhcpConfig } from './config.js';
import type { DhcpOutcome, RequestSource } from './context.js';
import { LeaseTable } from './leases.js';
import { clientMac } from './machine.js';
import { Opt } from './options.js';
import { decodePacket, messageTypeName } from './packet.js';
import { RateLimiter } from './rate-limit.js';
import { encodeReply } from './reply.js';
import { respond } from './responder.js';
import { buildSubnets } from './subnets.js';

/** What the DHCP server needs. */
export interface DhcpServerOptions {
  config: DhcpConfig;
  serverAddress: string;
  booter: Booter;
  store: LeaseStore;
  events: EventBus;
  logger: Logger;
  /** The MAC an address is reserved for in the inventory, so the pool never hands it to another MAC. */
  reservedMacOf?: (ip: string) => string | undefined;
  /** True when other servers share the store (PostgreSQL): offer holds are then written to it too. Default true. */
  sharedStore?: boolean;
  /** Clock, for tests. */
  now?: () => number;
}

/** Counters for metrics and tests. */
export interface DhcpServerStats {
  received: number;
  malformed: number;
  rateLimited: number;
  replies: number;
  silent: number;
  poolExhausted: number;
  errors: number;
}

/** A running DHCP server. */
export interface DhcpServer {
  /** Bound ports (the server port, and 4011 in proxy mode). */
  readonly port: number;
  readonly proxyPort: number | null;
  readonly stats: DhcpServerStats;
  /** Pool usage per subnet, for `/metrics`. */
  poolStats(): Array<{ pool: string; size: number; used: number }>;
  close(): Promise<void>;
}

/** Starts the DHCP server (full or proxy mode). */
export async function startDhcpServer(options: DhcpServerOptions): Promise<DhcpServer> {
  const { config, serverAddress, booter, store, events, logger } = options;
  const now = options.now ?? Date.now;
  const subnets = buildSubnets(config);
  const reservations = new Map<string, string>();
  for (const r of config.reservations) {
    const mac = parseMac(r.mac);
    if (mac !== null) reservations.set(mac, r.ip);
  }
  const leases = new LeaseTable(store, subnets, reservations, [serverAddress], options.sharedStore ?? true, options.reservedMacOf);
  if (config.mode === 'full') {
    const count = await leases.load(now());
    logger.info({ leases: count }, 'lease table loaded');
  }
  const limiter = new RateLimiter(config.rateLimit.perSecond, config.rateLimit.burst);
  const stats: DhcpServerStats = { received: 0, malformed: 0, rateLimited: 0, replies: 0, silent: 0, poolExhausted: 0, errors: 0 };
  // Messages of one client are handled in order (a retransmitted DISCOVER does not race its REQUEST).
  const perClient = new Map<string, Promise<void>>();
  let lastExhaustedWarning = -Infinity;

  const receiver = createSocket({ type: 'udp4', reuseAddr: true });
  const sender = createSocket({ type: 'udp4', reuseAddr: true });
  const sockets: Socket[] = [receiver, sender];
  let proxySocket: Socket | null = null;

  const send = (outcome: DhcpOutcome, socket: Socket) => {
    const reply = outcome.reply;
    if (!reply) return;
    const data = encodeReply(reply.packet);
    socket.send(data, reply.port, reply.address, (error) => {
      if (error) {
        stats.errors += 1;
        logger.warn({ err: error, to: reply.address, mac: outcome.mac }, 'DHCP send failed');
      }
    });
  };

  const handle = async (data: Buffer, remote: RemoteInfo, via: RequestSource['via'], replySocket: Socket) => {
    let packet;
    try {
      packet = decodePacket(data);
    } catch (error) {
      stats.malformed += 1;
      logger.debug({ from: `${remote.address}:${remote.port}`, bytes: data.length, reason: (error as Error).message }, 'malformed DHCP packet dropped');
      return;
    }
    const mac = clientMac(packet);
    if (mac !== null && !limiter.allow(mac, now())) {
      stats.rateLimited += 1;
      logger.debug({ mac }, 'DHCP rate limit: message dropped');
      return;
    }
    const key = mac ?? `${remote.address}:${remote.port}`;
    const previous = perClient.get(key) ?? Promise.resolve();
    const run = previous.then(async () => {
      const exhaustedBefore = leases.poolExhausted;
      const outcome = await respond(packet, { address: remote.address, port: remote.port, via }, { config, serverAddress, subnets, booter, leases, now: now() });
      if (leases.poolExhausted > exhaustedBefore) {
        stats.poolExhausted += 1;
        // One warning per 10 s at most: clients retry, and a full pool must not flood the log.
        if (now() - lastExhaustedWarning >= 10_000) {
          lastExhaustedWarning = now();
          logger.warn({ mac: outcome.mac, reason: outcome.reason, times: stats.poolExhausted }, 'DHCP pool exhausted');
        }
      }
      if (outcome.reply) {
        stats.replies += 1;
        send(outcome, replySocket);
      } else stats.silent += 1;
      const event: DhcpExchangeEvent = {
        kind: 'dhcp',
        at: now(),
        messageType: outcome.messageType,
        reply: outcome.reply ? messageTypeName(outcome.reply.packet.type) : null,
        reason: outcome.reason,
      };
      if (outcome.mac) event.mac = outcome.mac;
      if (packet.ciaddr !== '0.0.0.0') event.ip = packet.ciaddr;
      if (outcome.yiaddr) event.yiaddr = outcome.yiaddr;
      if (outcome.bootFile) event.bootFile = outcome.bootFile;
      if (outcome.arch !== undefined) event.arch = outcome.arch;
      const vendorClass = packet.options.get(Opt.VendorClass);
      if (vendorClass !== undefined && vendorClass.length > 0) event.vendorClass = vendorClass.toString('latin1');
      events.emit(event);
      if (logger.isLevelEnabled('debug')) logger.debug({ ...event, dropped: outcome.dropped }, `DHCP ${event.messageType} → ${event.reply ?? 'no reply'}`);
    });
    const settled = run.catch((error: unknown) => {
      stats.errors += 1;
      logger.error({ err: error, mac }, 'DHCP request failed');
    });
    perClient.set(key, settled);
    await settled;
    if (perClient.get(key) === settled) perClient.delete(key);
  };

  const listen = (socket: Socket, via: RequestSource['via'], replySocket: Socket) => {
    socket.on('message', (data, remote) => {
      stats.received += 1;
      void handle(data, remote, via, replySocket);
    });
    socket.on('error', (error) => logger.warn({ err: error }, 'DHCP socket error'));
  };

  try {
    await bindUdp(receiver, '0.0.0.0', config.port);
    const port = receiver.address().port;
    await bindUdp(sender, serverAddress, port);
    sender.setBroadcast(true);
    receiver.setBroadcast(true);
    listen(receiver, 'dhcp', sender);
    listen(sender, 'dhcp', sender);
    if (config.mode === 'proxy' && config.proxyPort !== 0) {
      proxySocket = createSocket({ type: 'udp4', reuseAddr: true });
      sockets.push(proxySocket);
      await bindUdp(proxySocket, serverAddress, config.proxyPort);
      proxySocket.setBroadcast(true);
      listen(proxySocket, 'proxy', proxySocket);
    }
    // Housekeeping: forget rows that expired a day ago.
    const prune = setInterval(() => {
      leases.reclaimExpired(now());
      leases.prune(now() - 86_400_000).catch((error: unknown) => logger.warn({ err: error }, 'lease pruning failed'));
    }, 60_000);
    prune.unref();
    return {
      port,
      proxyPort: proxySocket ? proxySocket.address().port : null,
      stats,
      poolStats: () => leases.poolUsage(now()),
      async close() {
        clearInterval(prune);
        await Promise.all(sockets.map((s) => new Promise<void>((resolve) => {
          try {
            s.close(() => resolve());
          } catch {
            resolve();
          }
        })));
        await Promise.all([...perClient.values()]);
      },
    };
  } catch (error) {
    for (const s of sockets) {
      try {
        s.close();
      } catch {
        /* not bound */
      }
    }
    throw error;
  }
}
