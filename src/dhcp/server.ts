/**
 * The DHCP socket loop. With the native engine (the default where the addon is built) one socket on
 * 0.0.0.0:`port` receives every request with the interface and local address it arrived on (IP_PKTINFO,
 * `socket/pktinfo.ts`), so one process serves several boot networks: each request is placed on its
 * network (`networks.ts`) and answered from that network's address, out of the interface it came in on;
 * under overload it hands over the messages of begun exchanges first and drops stale DISCOVERs unread.
 * With node:dgram (`dhcp.engine: dgram`, or no addon) it receives on 0.0.0.0:`port` (limited broadcasts
 * only arrive on a wildcard socket) and sends from a second socket bound to `server.address`:`port` with
 * broadcast enabled, so broadcasts leave the interface that owns the server address (boot-protocols.md §6);
 * that serves one network. In proxy mode a further socket serves the PXE boot-server port 4011. Bad
 * datagrams are logged at debug, counted and dropped; nothing here throws on input.
 */
import { createSocket, type Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import type { Booter } from '../boot/machine.js';
import type { EventBus } from '../timeline/bus.js';
import type { DhcpExchangeEvent } from '../timeline/types.js';
import type { Logger } from '../log.js';
import { ipToInt } from '../net/ipv4.js';
import { parseMac } from '../net/mac.js';
import { bindUdp } from '../net/udp-bind.js';
import type { HeartbeatStore, LeaseStore } from '../store/types.js';
import type { DhcpConfig } from './config.js';
import type { RequestSource, ResponderContext } from './context.js';
import { haPoolShares, startHaMember } from './ha/member.js';
import type { HaMember } from './ha/member.js';
import { isForPeer, type Ownership } from './ha/ownership.js';
import { LeaseTable } from './leases.js';
import { clientMac } from './machine.js';
import { Opt } from './options.js';
import { decodePacket, MessageType, messageTypeName, requestType, type DhcpPacket } from './packet.js';
import { RateLimiter } from './rate-limit.js';
import { encodeReply } from './reply.js';
import { respond } from './responder.js';
import { chooseNetwork, type ArrivalFacts, type LocalNetwork } from './networks.js';
import { interfaceIndex, openPktinfoSocket, pktinfoUnavailable, type PktinfoSocket } from './socket/pktinfo.js';
import { buildSubnets, type Subnet } from './subnets.js';

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
  /** The shared store's heartbeats; required when `config.ha` is set (the two-instance mode). */
  heartbeats?: HeartbeatStore;
  /** Clock, for tests. */
  now?: () => number;
  /**
   * Sees every decoded datagram first (rogue DHCP detection, `rogue-watch.ts`); when it returns true the
   * packet is its own (the probe) and the responder never sees it.
   */
  watch?: { observe(packet: DhcpPacket, remote: { address: string }): boolean };
}

/** Counters for metrics and tests. */
export interface DhcpServerStats {
  received: number;
  malformed: number;
  /** Direct requests that arrived on an interface carrying none of the configured networks. */
  noNetwork: number;
  /** DISCOVERs dropped unread under overload (too old for `dhcp.shedDiscoverAfterMs`, or a full queue; native engine). */
  readonly shed: number;
  /** DISCOVERs dropped undecoded because too many exchanges were waiting to finish (node:dgram engine; the native one holds them). */
  overloaded: number;
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
  /** What drives the port-67 socket. */
  readonly engine: 'native' | 'dgram';
  /** The local networks served, with their interfaces. */
  readonly networks: readonly LocalNetwork[];
  readonly proxyPort: number | null;
  readonly stats: DhcpServerStats;
  /** The two-instance mode's member, when `dhcp.ha` is configured. */
  readonly ha: HaMember | null;
  /** True while the peer's requests are dropped in the kernel (the eBPF socket filter of the native engine). */
  readonly peerFilterInKernel: boolean;
  /** Pool usage per subnet, for `/metrics`. */
  poolStats(): Array<{ pool: string; size: number; used: number }>;
  close(): Promise<void>;
}

/** Starts the DHCP server (full or proxy mode). */
export async function startDhcpServer(options: DhcpServerOptions): Promise<DhcpServer> {
  const { config, serverAddress, booter, store, events, logger } = options;
  const now = options.now ?? Date.now;
  const subnets = buildSubnets(config, serverAddress);
  const engine = chooseEngine(config);
  const localNetworks = resolveInterfaces(subnets.filter((s) => s.local), engine);
  const reservations = new Map<string, string>();
  for (const r of config.reservations) {
    const mac = parseMac(r.mac);
    if (mac !== null) reservations.set(mac, r.ip);
  }
  const serverAddresses = [serverAddress, ...config.networks.map((n) => n.serverAddress)];
  if (config.ha && !options.heartbeats) throw new Error('dhcp.ha needs a store shared by the instances (store.kind postgres)');
  // Offer holds are written to a shared store so instances answering the same clients do not offer one
  // address twice; instances splitting the clients (dhcp.ha) draw from separate slices and keep them in memory.
  const persistOffers = (options.sharedStore ?? true) && !config.ha;
  const leases = new LeaseTable(store, subnets, reservations, serverAddresses, persistOffers, options.reservedMacOf, config.ha ? haPoolShares(config.ha) : undefined);
  if (config.mode === 'full') {
    const count = await leases.load(now());
    logger.info({ leases: count }, 'lease table loaded');
  }
  // Two-instance mode: beats once the lease table is loaded; reads it again whenever a peer goes or returns.
  // Requests of the peers' clients are dropped before decoding (ha/ownership.ts): in the kernel by an eBPF
  // socket filter where it loads (root), by the native socket as it drains the kernel's queue, or here for
  // node:dgram; the filters follow every change in who is up.
  let ownership = null as Ownership | null;
  let nativeSocket: PktinfoSocket | null = null;
  let member: HaMember | null = null;
  const ownerAddresses = serverAddresses.map(ipToInt);
  const updateOwnership = () => {
    if (member === null) return;
    ownership = { buckets: member.bucketMask(), addresses: ownerAddresses };
    nativeSocket?.setOwner({ buckets: ownership.buckets, addresses: serverAddresses });
  };
  const ha = config.ha && options.heartbeats
    ? await startHaMember({
        config: config.ha,
        heartbeats: options.heartbeats,
        serverAddresses,
        logger,
        onChange: async () => {
          updateOwnership();
          await leases.load(now());
        },
      })
    : null;
  member = ha;
  updateOwnership();
  let peerDropsDgram = 0;
  ha?.countDroppedElsewhere(() => peerDropsDgram + (nativeSocket?.peerDrops ?? 0));
  const limiter = new RateLimiter(config.rateLimit.perSecond, config.rateLimit.burst);
  const stats: DhcpServerStats = {
    received: 0,
    malformed: 0,
    noNetwork: 0,
    get shed() {
      return nativeSocket?.shed ?? 0;
    },
    overloaded: 0,
    rateLimited: 0,
    replies: 0,
    silent: 0,
    poolExhausted: 0,
    errors: 0,
  };
  // Messages of one client are handled in order (a retransmitted DISCOVER does not race its REQUEST).
  const perClient = new Map<string, Promise<void>>();
  // Overload of what comes after the socket (a slow store): every OFFER sent makes a REQUEST that must be
  // committed before its ACK, so once HOLD_AT exchanges are waiting to finish no new one is begun: the
  // native socket keeps DISCOVERs in its ring (and sheds them there) until RELEASE_AT, node:dgram drops
  // them undecoded. REQUESTs, renewals and releases are always taken.
  let inFlight = 0;
  let holding = false;
  const began = () => {
    inFlight += 1;
    if (!holding && inFlight >= HOLD_AT) {
      holding = true;
      nativeSocket?.holdDiscovers(true);
    }
  };
  const finished = () => {
    inFlight -= 1;
    if (holding && inFlight <= RELEASE_AT) {
      holding = false;
      nativeSocket?.holdDiscovers(false);
    }
  };
  let lastExhaustedWarning = -Infinity;

  const sockets: Socket[] = [];
  let proxySocket: Socket | null = null;

  /** Sends a reply the way it came: `send(data, address, port, serverAddress)`. */
  type ReplySender = (data: Buffer, address: string, port: number, from: string) => void;
  const sendFailed = (error: unknown, to: string, mac: string | undefined) => {
    stats.errors += 1;
    logger.warn({ err: error, to, mac }, 'DHCP send failed');
  };
  const dgramSender = (socket: Socket): ReplySender => (data, address, port) => {
    socket.send(data, port, address, (error) => {
      if (error) sendFailed(error, address, undefined);
    });
  };
  // Out of the interface the request came in on, from the network's address; a reply to a relay is routed.
  const nativeSender = (socket: PktinfoSocket, arrival: ArrivalFacts, giaddr: string): ReplySender => (data, address, port, from) => {
    const status = socket.send(data, address, port, { ifindex: giaddr === '0.0.0.0' ? arrival.ifindex : 0, source: from });
    if (status < 0) sendFailed(new Error(`sendmsg: errno ${-status}`), address, undefined);
  };

  const handle = async (data: Buffer, remote: { address: string; port: number }, via: RequestSource['via'], arrival: ArrivalFacts | null, replyVia: (giaddr: string) => ReplySender, unicast = false) => {
    let packet;
    try {
      packet = decodePacket(data);
    } catch (error) {
      stats.malformed += 1;
      logger.debug({ from: `${remote.address}:${remote.port}`, bytes: data.length, reason: (error as Error).message }, 'malformed DHCP packet dropped');
      return;
    }
    if (options.watch?.observe(packet, remote)) return;
    const mac = clientMac(packet);
    if (ha && !ha.answers(packet, mac, unicast || (arrival !== null && serverAddresses.includes(arrival.destination)))) return;
    if (mac !== null && !limiter.allow(mac, now())) {
      stats.rateLimited += 1;
      logger.debug({ mac }, 'DHCP rate limit: message dropped');
      return;
    }
    const choice = chooseNetwork(localNetworks, serverAddress, packet.giaddr, arrival);
    if (!choice.ok) {
      stats.noNetwork += 1;
      logger.debug({ mac, reason: choice.reason }, 'DHCP request on no configured network dropped');
      return;
    }
    const key = mac ?? `${remote.address}:${remote.port}`;
    began();
    const previous = perClient.get(key) ?? Promise.resolve();
    const run = previous.then(async () => {
      const exhaustedBefore = leases.poolExhausted;
      const context: ResponderContext = { config, serverAddress: choice.serverAddress, subnets, booter, leases, now: now() };
      if (choice.network) context.arrivedOn = choice.network.subnet;
      const outcome = await respond(packet, { address: remote.address, port: remote.port, via }, context);
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
        // Padded to BOOTP's 300-byte minimum (RFC 1542 §2.1), as some old PXE ROMs expect.
        replyVia(packet.giaddr)(encodeReply(outcome.reply.packet), outcome.reply.address, outcome.reply.port, choice.serverAddress);
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
    finished();
    if (perClient.get(key) === settled) perClient.delete(key);
  };

  const listen = (socket: Socket, via: RequestSource['via'], replySocket: Socket) => {
    const reply = dgramSender(replySocket);
    const unicast = socket === replySocket && via === 'dhcp';
    socket.on('message', (data, remote) => {
      stats.received += 1;
      if (ownership !== null && via === 'dhcp' && isForPeer(data, unicast ? ownerAddresses[0]! : BROADCAST, ownership)) {
        peerDropsDgram += 1;
        return;
      }
      if (holding && via === 'dhcp' && requestType(data) === MessageType.Discover) {
        stats.overloaded += 1;
        return;
      }
      void handle(data, remote, via, null, () => reply, unicast);
    });
    socket.on('error', (error) => logger.warn({ err: error }, 'DHCP socket error'));
  };

  try {
    let port: number;
    if (engine === 'native') {
      const opened = openPktinfoSocket(
        '0.0.0.0',
        config.port,
        config.shedDiscoverAfterMs,
        (datagram) => {
          stats.received += 1;
          const arrival = datagram.arrival;
          // The datagram is a view of the socket's buffer, reused by the next receive: copied first.
          void handle(Buffer.from(datagram.data), datagram, 'dhcp', arrival, (giaddr) => nativeSender(opened, arrival, giaddr));
        },
        (errno) => logger.warn({ errno }, 'DHCP socket receive error'),
      );
      nativeSocket = opened;
      updateOwnership();
      if (member !== null) {
        // The kernel copy of the filter (native/peer_bpf.c) spares this process the peer's half; without it the filter still runs here.
        const why = opened.kernelFilter;
        if (why === '') logger.info('two-instance mode: the peer\'s requests are dropped in the kernel (eBPF socket filter)');
        else logger.info({ reason: why }, 'two-instance mode: the peer\'s requests are dropped by the socket, not in the kernel');
      }
      port = opened.port;
    } else {
      const receiver = createSocket({ type: 'udp4', reuseAddr: true });
      const sender = createSocket({ type: 'udp4', reuseAddr: true });
      sockets.push(receiver, sender);
      await bindUdp(receiver, '0.0.0.0', config.port);
      port = receiver.address().port;
      await bindUdp(sender, serverAddress, port);
      sender.setBroadcast(true);
      receiver.setBroadcast(true);
      listen(receiver, 'dhcp', sender);
      listen(sender, 'dhcp', sender);
    }
    logger.info({ engine, port }, `DHCP socket: ${engine === 'native' ? 'native (IP_PKTINFO)' : 'node:dgram'}`);
    if (localNetworks.length > 1) {
      logger.info({ networks: localNetworks.map((n) => ({ subnet: n.subnet.name, serverAddress: n.serverAddress, interface: n.interfaceName })) }, 'DHCP serves several networks');
    }
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
      engine,
      networks: localNetworks,
      proxyPort: proxySocket ? proxySocket.address().port : null,
      stats,
      ha,
      get peerFilterInKernel() {
        return ha !== null && nativeSocket !== null && nativeSocket.kernelFilter === '';
      },
      poolStats: () => leases.poolUsage(now()),
      async close() {
        clearInterval(prune);
        await ha?.close();
        nativeSocket?.close();
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
    await ha?.close();
    nativeSocket?.close();
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

/** Exchanges waiting to finish at which no new one is begun, and the count at which that ends. */
const HOLD_AT = 128;
const RELEASE_AT = 64;
/** 255.255.255.255 as a number: the destination of a limited broadcast. */
const BROADCAST = 0xffffffff;

/** The engine of the port-67 socket: `dhcp.engine`, `auto` meaning native where the addon is built. */
function chooseEngine(config: DhcpConfig): 'native' | 'dgram' {
  const unavailable = pktinfoUnavailable();
  const several = config.networks.length > 0;
  if (config.engine === 'dgram') {
    if (several) throw new Error('dhcp.networks needs dhcp.engine native (node:dgram cannot tell which interface a broadcast arrived on)');
    return 'dgram';
  }
  if (unavailable === null) return 'native';
  if (config.engine === 'native' || several) throw new Error(`dhcp.networks and dhcp.engine native need the native DHCP socket: ${unavailable}`);
  return 'dgram';
}

/**
 * Each local subnet with its interface: the configured one, or the one holding its server address. With
 * several networks every interface must be known (the index tells them apart); with one it is only logged.
 */
function resolveInterfaces(locals: readonly Subnet[], engine: 'native' | 'dgram'): LocalNetwork[] {
  const interfaces = Object.entries(networkInterfaces());
  const networks = locals.map((subnet) => {
    const serverAddress = subnet.serverAddress ?? '0.0.0.0';
    const name = subnet.interface ?? interfaces.find(([, addresses]) => (addresses ?? []).some((a) => a.family === 'IPv4' && a.address === serverAddress))?.[0];
    const network: LocalNetwork = { subnet, serverAddress, ifindex: name !== undefined && engine === 'native' ? interfaceIndex(name) : 0 };
    if (name !== undefined) network.interfaceName = name;
    return network;
  });
  if (networks.length > 1) {
    const unknown = networks.filter((n) => n.ifindex === 0).map((n) => `${n.subnet.name} (${n.interfaceName ?? `no interface holds ${n.serverAddress}`})`);
    if (unknown.length > 0) throw new Error(`DHCP networks without a usable interface: ${unknown.join(', ')}`);
  }
  return networks;
}
