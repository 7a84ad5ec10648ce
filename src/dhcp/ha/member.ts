/**
 * One instance of the two-instance mode at run time: it writes its heartbeat to the shared store and
 * reads the others' every `heartbeatSeconds`, keeps the `TakeoverState` current, and tells the socket
 * loop which requests are this instance's to answer. After every change in who is up it asks for the
 * lease table to be read again from the store (`onChange`): the leases the peer made are then known here
 * (a taken-over client renewing its address is recognised, RFC 2131 §4.3.2), and a returning peer finds
 * those made for its clients while it was away.
 *
 * Requests this instance answers (Kea's load-balancing scopes, RFC 3074 §5):
 * - every client whose hash bucket it answers now (its own, plus a down peer's);
 * - a REQUEST naming this server in option 54: the client chose this server's offer;
 * - a message sent straight to this server's address by the client itself (unicast, no relay): a renewal
 *   or release from a client this server bound (e.g. while it had taken that client over).
 * Everything else is the peer's and is dropped before any other work. An instance whose own heartbeat
 * has not been written for `takeoverSeconds` (its store is out of reach) answers nobody: its peers have
 * taken its clients over by then, and it could not commit their leases.
 */
import type { Logger } from '../../log.js';
import type { HeartbeatStore } from '../../store/types.js';
import type { DhcpHaConfig } from './config.js';
import { getIp, Opt } from '../options.js';
import { MessageType, type DhcpPacket } from '../packet.js';
import { bucketOfMac, primaryPeerOf } from './load-balance.js';
import { bucketMask } from './ownership.js';
import { TakeoverState, type TakeoverChange } from './takeover.js';

/** What a member needs. */
export interface HaMemberOptions {
  config: DhcpHaConfig;
  heartbeats: HeartbeatStore;
  /** This instance's addresses (`server.address` and each network's): its option 54 and unicast destinations. */
  serverAddresses: readonly string[];
  logger: Logger;
  /** Runs after who-is-up changed, before the next heartbeat (reload the lease table). */
  onChange: (change: TakeoverChange) => Promise<void>;
  /** Clock, for tests. */
  now?: () => number;
}

/** Counters of a member, for metrics and tests. */
export interface HaMemberStats {
  /** Requests dropped because another instance answers them (here, and undecoded by the socket's filter). */
  readonly peersRequests: number;
  /** Times a peer was declared down, and back. */
  takeovers: number;
  handbacks: number;
  /** Heartbeats that failed (the store did not answer). */
  heartbeatFailures: number;
  /** Requests dropped because this instance's own heartbeat is older than the takeover time. */
  fenced: number;
}

/** Who answers what, as this instance sees it now (for `/metrics`). */
export interface HaMemberStatus {
  /** This instance's name. */
  self: string;
  /** Every instance, this one included, in configured order, and whether it is considered up. */
  peers: Array<{ name: string; up: boolean }>;
  /** How many of the 256 RFC 3074 hash buckets this instance answers now (its share, plus a down peer's). */
  answeringBuckets: number;
  /** Milliseconds since this instance last wrote its heartbeat. */
  heartbeatAgeMs: number;
  /** True while this instance answers nobody because its own heartbeat is older than the takeover time. */
  fenced: boolean;
}

/** A running member. */
export interface HaMember {
  readonly stats: HaMemberStats;
  /** Who is up and what this instance answers now. */
  status(): HaMemberStatus;
  /** True when this instance answers `packet` (from client `mac`; `unicast` when it reached this server's own address). */
  answers(packet: DhcpPacket, mac: string | null, unicast: boolean): boolean;
  /** The pool share new addresses for `mac` come from: its primary peer's, whoever answers it now. */
  shareOf(mac: string): number;
  /** The peers considered up now. */
  upPeers(): string[];
  /** The hash buckets this instance answers now, as a 256-bit mask (ownership.ts); fencing is not in it. */
  bucketMask(): Uint8Array;
  /** Adds a count of requests dropped for the peers before they reached `answers` (the socket's filter). */
  countDroppedElsewhere(count: () => number): void;
  /** Stops the heartbeat (its row stays; the peers take over after `takeoverSeconds`). */
  close(): Promise<void>;
}

/** Starts beating; resolves after the first heartbeat was written (or failed and was logged). */
export async function startHaMember(options: HaMemberOptions): Promise<HaMember> {
  const { config, heartbeats, serverAddresses, logger } = options;
  const now = options.now ?? Date.now;
  const state = new TakeoverState(config.peers.map((p) => p.name), config.self, config.takeoverSeconds * 1000, now());
  let peersRequests = 0;
  const droppedElsewhere: Array<() => number> = [];
  const stats: HaMemberStats = {
    get peersRequests() {
      return droppedElsewhere.reduce((sum, count) => sum + count(), peersRequests);
    },
    takeovers: 0,
    handbacks: 0,
    heartbeatFailures: 0,
    fenced: 0,
  };
  let failing = false;
  // When this instance last wrote its heartbeat: its peers see it as up until `takeoverSeconds` after that.
  let lastBeatAt = now();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();
  let closed = false;

  const beat = async () => {
    let rows;
    try {
      rows = await heartbeats.beat(config.self, now());
    } catch (error) {
      stats.heartbeatFailures += 1;
      // No reading, no verdict: a store this instance cannot reach says nothing about the peers.
      if (!failing) logger.error({ err: error }, 'DHCP HA: heartbeat failed; peers will take over this instance’s clients if it lasts');
      failing = true;
      return;
    }
    if (failing) logger.info('DHCP HA: heartbeat written again');
    failing = false;
    lastBeatAt = now();
    const change = state.observe(rows, now());
    if (change === null) return;
    for (const name of change.down) {
      stats.takeovers += 1;
      logger.warn({ peer: name, silentFor: config.takeoverSeconds, up: state.upPeers() }, `DHCP HA: peer ${name} stopped beating: answering its clients`);
    }
    for (const name of change.up) {
      stats.handbacks += 1;
      logger.info({ peer: name, up: state.upPeers() }, `DHCP HA: peer ${name} is back: its clients are its own again`);
    }
    try {
      await options.onChange(change);
    } catch (error) {
      logger.warn({ err: error }, 'DHCP HA: reloading the lease table failed');
    }
  };

  const schedule = () => {
    if (closed) return;
    timer = setTimeout(() => {
      running = beat().finally(schedule);
    }, config.heartbeatSeconds * 1000);
  };
  running = beat();
  await running;
  schedule();
  logger.info({ self: config.self, peers: config.peers.map((p) => p.name), heartbeatSeconds: config.heartbeatSeconds, takeoverSeconds: config.takeoverSeconds }, 'DHCP HA: sharing clients with peers');

  return {
    stats,
    status() {
      const heartbeatAgeMs = now() - lastBeatAt;
      let answeringBuckets = 0;
      for (let bucket = 0; bucket < 256; bucket += 1) if (state.answers(bucket)) answeringBuckets += 1;
      return {
        self: config.self,
        peers: config.peers.map((p) => ({ name: p.name, up: state.isUp(p.name) })),
        answeringBuckets,
        heartbeatAgeMs,
        fenced: heartbeatAgeMs >= config.takeoverSeconds * 1000,
      };
    },
    answers(packet, mac, unicast) {
      // Fenced: the peers have taken this instance's clients over (they stopped seeing its heartbeat), and
      // it could not commit a lease anyway; an OFFER from here would only lead clients astray.
      if (now() - lastBeatAt >= config.takeoverSeconds * 1000) {
        stats.fenced += 1;
        return false;
      }
      if (mac === null) return true; // the responder drops it with its reason
      if (state.answers(bucketOfMac(mac))) return true;
      if (unicast && packet.giaddr === '0.0.0.0') return true;
      if (packet.type === MessageType.Request && serverAddresses.includes(serverIdOf(packet) ?? '')) return true;
      peersRequests += 1;
      return false;
    },
    shareOf: (mac) => primaryPeerOf(bucketOfMac(mac), config.peers.length),
    upPeers: () => state.upPeers(),
    bucketMask: () => bucketMask((bucket) => state.answers(bucket)),
    countDroppedElsewhere: (count) => void droppedElsewhere.push(count),
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

function serverIdOf(packet: DhcpPacket): string | undefined {
  try {
    return getIp(packet.options, Opt.ServerId);
  } catch {
    return undefined;
  }
}

/** How the pool is split for `config`: one contiguous slice of each range per peer, in peer order. */
export function haPoolShares(config: DhcpHaConfig): { count: number; of: (mac: string) => number } {
  return { count: config.peers.length, of: (mac) => primaryPeerOf(bucketOfMac(mac), config.peers.length) };
}
