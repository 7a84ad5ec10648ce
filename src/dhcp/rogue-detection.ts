/**
 * Rogue DHCP detection, the rules: which DHCP messages prove that another server answers on a boot
 * network (`sightingOf`), and what xenboot remembers and reports about each such server
 * (`RogueServerTable`). Pure: no sockets, no clock of its own, no logging; `rogue-watch.ts` feeds it
 * packets and turns its decisions into events, log lines and metrics.
 *
 * Evidence of another server, by where it is seen:
 * - a BOOTREPLY (OFFER, ACK, NAK, or a plain BOOTP reply) from anyone but xenboot: its option 54 (server
 *   identifier, RFC 2132 §9.7) names the server; a reply without one (BOOTP, RFC 951) is named by its UDP
 *   source address. Replies reach xenboot on port 68 when a server broadcasts them (RFC 2131 §4.1: a client
 *   without an address that set the broadcast bit), and on port 67 when they answer xenboot's probe, which
 *   is sent in a relay's form (`rogue-probe.ts`);
 * - a client's REQUEST, DECLINE or RELEASE whose option 54 is not xenboot's: RFC 2131 §4.3.2 (SELECTING)
 *   has the client name the server whose OFFER it took, and SELECTING REQUESTs are broadcast to port 67,
 *   where xenboot listens anyway. This is seen even when the OFFER itself was unicast.
 *
 * Not evidence: DISCOVER and INFORM (no server named), anything naming xenboot's own addresses, and the
 * servers the operator lists in `allowedServers` (by identifier or source address).
 */
import type { RogueDhcpVia } from '../timeline/types.js';
import { clientMac } from './machine.js';
import { getIp, getText, Opt } from './options.js';
import { MessageType, messageTypeName, Op, type DhcpPacket } from './packet.js';

/** One message that shows another server at work. */
export interface RogueSighting {
  /** Option 54, or the UDP source of a reply that carried none. */
  serverId: string;
  /** UDP source of a reply; absent for a client's message naming the server. */
  sourceIp?: string;
  /** OFFER, ACK, NAK, BOOTP for replies; REQUEST, DECLINE, RELEASE for client messages. */
  messageType: string;
  via: RogueDhcpVia;
  /** The client (chaddr) the message was for or from. */
  clientMac?: string;
  /** The address offered or acknowledged. */
  yiaddr?: string;
  /** The boot file the reply announced (option 67, else the `file` field). */
  bootFile?: string;
  /** `siaddr` of the reply: the TFTP server it points clients to. */
  nextServer?: string;
}

/** What decides whether a message is about another server. */
export interface SightingPolicy {
  /** xenboot's own server identifiers and addresses: never reported. */
  ownAddresses: ReadonlySet<string>;
  /** Servers that belong on the network (`allowedServers`), by identifier or source address. */
  allowedServers: ReadonlySet<string>;
}

const CLIENT_MESSAGES_NAMING_A_SERVER = new Set<number>([MessageType.Request, MessageType.Decline, MessageType.Release]);
const SERVER_REPLIES = new Set<number | null>([MessageType.Offer, MessageType.Ack, MessageType.Nak, null]);

/** Option 54 as an address, or undefined when absent or malformed (a malformed option proves nothing). */
function serverIdOf(packet: DhcpPacket): string | undefined {
  try {
    const id = getIp(packet.options, Opt.ServerId);
    return id === '0.0.0.0' ? undefined : id;
  } catch {
    return undefined;
  }
}

function bootFileOf(packet: DhcpPacket): string | undefined {
  let file: string | undefined;
  try {
    file = getText(packet.options, Opt.BootFile);
  } catch {
    file = undefined;
  }
  file = file || packet.file;
  // Printable and short: it ends up in events, logs and the console.
  return file ? file.replace(/[^\x20-\x7e]/g, '?').slice(0, 128) : undefined;
}

/**
 * The sighting `packet` is, received from `sourceIp` via `via`, or `null` when it shows no other server
 * (or only xenboot or an allowed one). Never throws.
 */
export function sightingOf(packet: DhcpPacket, sourceIp: string, via: RogueDhcpVia, policy: SightingPolicy): RogueSighting | null {
  const serverId = serverIdOf(packet);
  const mac = clientMac(packet) ?? undefined;
  let sighting: RogueSighting;
  if (packet.op === Op.Reply) {
    if (!SERVER_REPLIES.has(packet.type)) return null;
    const id = serverId ?? (sourceIp !== '0.0.0.0' ? sourceIp : undefined);
    if (id === undefined) return null;
    sighting = { serverId: id, sourceIp, messageType: messageTypeName(packet.type), via };
    if (packet.yiaddr !== '0.0.0.0') sighting.yiaddr = packet.yiaddr;
    if (packet.type !== MessageType.Nak) {
      const bootFile = bootFileOf(packet);
      if (bootFile) sighting.bootFile = bootFile;
      if (packet.siaddr !== '0.0.0.0') sighting.nextServer = packet.siaddr;
    }
  } else if (packet.op === Op.Request) {
    if (packet.type === null || !CLIENT_MESSAGES_NAMING_A_SERVER.has(packet.type) || serverId === undefined) return null;
    sighting = { serverId, messageType: messageTypeName(packet.type), via };
    const requested = (() => {
      try {
        return getIp(packet.options, Opt.RequestedIp);
      } catch {
        return undefined;
      }
    })();
    if (requested !== undefined && requested !== '0.0.0.0') sighting.yiaddr = requested;
  } else return null;
  if (mac !== undefined) sighting.clientMac = mac;
  if (isOwnOrAllowed(sighting, policy)) return null;
  return sighting;
}

/** True when the sighting names xenboot itself or a server the operator allowed. */
export function isOwnOrAllowed(sighting: Pick<RogueSighting, 'serverId' | 'sourceIp'>, policy: SightingPolicy): boolean {
  const names = sighting.sourceIp === undefined ? [sighting.serverId] : [sighting.serverId, sighting.sourceIp];
  return names.some((name) => policy.ownAddresses.has(name) || policy.allowedServers.has(name));
}

/** What xenboot knows of one other server, as the API lists it. */
export interface RogueServer {
  serverId: string;
  /** First and last sighting, ms since the epoch. */
  firstSeen: number;
  lastSeen: number;
  /** Messages seen from or naming it. */
  sightings: number;
  /** How it was noticed, sorted. */
  via: RogueDhcpVia[];
  /** UDP source addresses its replies came from (at most `MAX_SOURCES`). */
  sourceIps: string[];
  /** The last message seen. */
  lastMessageType: string;
  lastClientMac?: string;
  /** The last address it offered or acknowledged. */
  lastOffered?: string;
  /** The last boot file and next server it announced. */
  bootFile?: string;
  nextServer?: string;
}

/** What `record` decided about reporting a sighting. */
export type ReportDecision = 'new' | 'again' | null;

/** Options of the table; the defaults suit a running server. */
export interface RogueTableOptions {
  /** Most servers remembered; beyond that the one seen longest ago is forgotten. */
  maxServers?: number;
  /** A server still seen is reported again after this long. */
  reportIntervalMs?: number;
  /** A server not seen for this long is forgotten (and reported as new when it comes back). */
  forgetAfterMs?: number;
  /** Most reports (new or again, all servers together) per `reportIntervalMs`: spoofed identifiers cannot flood the log. */
  maxReportsPerInterval?: number;
}

/** Source addresses kept per server. */
export const MAX_SOURCES = 8;

/** The servers seen, with the reporting rule: once when new, then at most once per interval each, with a global cap. */
export class RogueServerTable {
  private readonly servers = new Map<string, RogueServer & { reportedAt: number }>();
  private readonly maxServers: number;
  private readonly reportIntervalMs: number;
  private readonly forgetAfterMs: number;
  private readonly maxReports: number;
  private reportTimes: number[] = [];
  /** Reports withheld by the global cap since the last one let through. */
  suppressedReports = 0;

  constructor(options: RogueTableOptions = {}) {
    this.maxServers = options.maxServers ?? 64;
    this.reportIntervalMs = options.reportIntervalMs ?? 600_000;
    this.forgetAfterMs = options.forgetAfterMs ?? 86_400_000;
    this.maxReports = options.maxReportsPerInterval ?? 20;
  }

  /** Remembers a sighting at `now`; says whether to report it and returns the server's record (a copy). */
  record(sighting: RogueSighting, now: number): { server: RogueServer; report: ReportDecision } {
    this.forget(now);
    let entry = this.servers.get(sighting.serverId);
    let report: ReportDecision = null;
    if (entry === undefined) {
      if (this.servers.size >= this.maxServers) this.evictOldest();
      entry = { serverId: sighting.serverId, firstSeen: now, lastSeen: now, sightings: 0, via: [], sourceIps: [], lastMessageType: sighting.messageType, reportedAt: -Infinity };
      this.servers.set(sighting.serverId, entry);
      report = 'new';
    } else if (now - entry.reportedAt >= this.reportIntervalMs) report = 'again';
    entry.lastSeen = Math.max(entry.lastSeen, now);
    entry.sightings += 1;
    if (!entry.via.includes(sighting.via)) entry.via = [...entry.via, sighting.via].sort();
    if (sighting.sourceIp !== undefined && !entry.sourceIps.includes(sighting.sourceIp) && entry.sourceIps.length < MAX_SOURCES) entry.sourceIps.push(sighting.sourceIp);
    entry.lastMessageType = sighting.messageType;
    if (sighting.clientMac !== undefined) entry.lastClientMac = sighting.clientMac;
    if (sighting.yiaddr !== undefined) entry.lastOffered = sighting.yiaddr;
    if (sighting.bootFile !== undefined) entry.bootFile = sighting.bootFile;
    if (sighting.nextServer !== undefined) entry.nextServer = sighting.nextServer;
    if (report !== null && !this.takeReport(now)) {
      this.suppressedReports += 1;
      report = null;
    }
    if (report !== null) entry.reportedAt = now;
    return { server: publicCopy(entry), report };
  }

  /** The servers remembered at `now`, the most recently seen first. */
  list(now: number): RogueServer[] {
    this.forget(now);
    return [...this.servers.values()].sort((a, b) => b.lastSeen - a.lastSeen).map(publicCopy);
  }

  private takeReport(now: number): boolean {
    this.reportTimes = this.reportTimes.filter((t) => now - t < this.reportIntervalMs);
    if (this.reportTimes.length >= this.maxReports) return false;
    this.reportTimes.push(now);
    return true;
  }

  private forget(now: number): void {
    for (const [id, entry] of this.servers) if (now - entry.lastSeen >= this.forgetAfterMs) this.servers.delete(id);
  }

  private evictOldest(): void {
    let oldest: string | undefined;
    let oldestAt = Infinity;
    for (const [id, entry] of this.servers) {
      if (entry.lastSeen < oldestAt) {
        oldest = id;
        oldestAt = entry.lastSeen;
      }
    }
    if (oldest !== undefined) this.servers.delete(oldest);
  }
}

function publicCopy(entry: RogueServer & { reportedAt?: number }): RogueServer {
  const { reportedAt: _reportedAt, ...server } = entry;
  return { ...server, via: [...server.via], sourceIps: [...server.sourceIps] };
}
