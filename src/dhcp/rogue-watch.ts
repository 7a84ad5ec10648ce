/**
 * Rogue DHCP detection at run time: feeds the rules of `rogue-detection.ts` from the wire and reports each
 * other server as a timeline event (`dhcp-rogue`), a log warning and, through `report()`, the metrics and
 * `GET /api/v1/dhcp/rogue-servers`.
 *
 * Where the packets come from (docs/dhcp.md, "Rogue DHCP detection"):
 * - `observe()` is the DHCP server's hook: every datagram that reaches its port 67 passes here first. A
 *   packet whose `chaddr` is the probe MAC is the watch's alone (the probe itself, looped back by the
 *   kernel, or an answer to it) and the responder never sees it, so xenboot neither answers nor holds
 *   an address for its own probe.
 * - `passive: client-port` adds a socket bound to 255.255.255.255:68, not 0.0.0.0:68: bound to the
 *   limited-broadcast address it receives only datagrams sent to 255.255.255.255, i.e. the broadcast
 *   OFFER/ACK/NAK every server sends to clients without an address (RFC 2131 §4.1), and never a unicast
 *   reply meant for a DHCP client on this host. It is bound with SO_REUSEADDR, which Linux honours for
 *   broadcast delivery (every socket on the port gets a copy), so a DHCP client that also sets it (udhcpc,
 *   dhclient and systemd-networkd do) keeps working; one that binds port 68 without it fails to bind while
 *   xenboot holds the port, or xenboot's bind fails (logged, detection goes on without the port).
 * - `active` sends `probeDiscover` every `intervalSeconds` from an ephemeral port of the server address to
 *   255.255.255.255:67; answers come back to port 67 (the relay form, see `rogue-probe.ts`).
 *
 * Reports are limited by `RogueServerTable`: a server is reported when first seen and again at most every
 * ten minutes while it is still seen, with a cap over all servers.
 */
import { randomInt } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Logger } from '../log.js';
import { parseMac } from '../net/mac.js';
import type { EventBus } from '../timeline/bus.js';
import type { RogueDhcpServerEvent, RogueDhcpVia } from '../timeline/types.js';
import { clientMac } from './machine.js';
import { decodePacket, encodePacket, type DhcpPacket } from './packet.js';
import type { RogueDetectionConfig } from './rogue-config.js';
import { RogueServerTable, sightingOf, type RogueServer, type RogueSighting, type SightingPolicy } from './rogue-detection.js';
import { probeDiscover } from './rogue-probe.js';

/** The state of the port-68 socket. */
export type ClientPortState = 'off' | 'bound' | 'unavailable';

/** What the API and metrics read: the settings in force, the probe's progress, and the servers seen. */
export interface RogueReport {
  detection: {
    /** False when DHCP is off: nothing is watched. */
    enabled: boolean;
    passive: RogueDetectionConfig['passive'];
    active: boolean;
    intervalSeconds: number;
    probeMac: string;
    allowedServers: string[];
    clientPort: ClientPortState;
    /** Why the client port could not be bound. */
    clientPortError?: string;
    probesSent: number;
    lastProbeAt?: number;
  };
  /** The most recently seen first. */
  servers: RogueServer[];
}

/** What the watch needs. */
export interface RogueWatchOptions {
  config: RogueDetectionConfig;
  /** xenboot's server identifier: the probe's `giaddr` and source address, never reported. */
  serverAddress: string;
  /** Further addresses of xenboot itself (never reported). */
  ownAddresses?: string[];
  events: EventBus;
  logger: Logger;
  /** The client port to watch (68); tests may move it. */
  clientPort?: number;
  table?: RogueServerTable;
  now?: () => number;
}

/** Watches for other DHCP servers; `observe` is the DHCP server's hook, `start`/`close` own the sockets and timer. */
export class RogueWatch {
  readonly table: RogueServerTable;
  private readonly now: () => number;
  private readonly probeMac: string;
  private readonly policy: SightingPolicy;
  private clientSocket: Socket | null = null;
  private probeSocket: Socket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private firstProbe: NodeJS.Timeout | null = null;
  private clientPortState: ClientPortState = 'off';
  private clientPortError: string | undefined;
  private probesSent = 0;
  private lastProbeAt: number | undefined;
  private serverPort = 67;
  private started = false;

  constructor(private readonly options: RogueWatchOptions) {
    this.table = options.table ?? new RogueServerTable();
    this.now = options.now ?? Date.now;
    this.probeMac = parseMac(options.config.probeMac) ?? options.config.probeMac;
    this.policy = {
      ownAddresses: new Set([options.serverAddress, ...(options.ownAddresses ?? [])]),
      allowedServers: new Set(options.config.allowedServers),
    };
  }

  /**
   * The DHCP server's hook for every decoded datagram on its port 67. Records what shows another server;
   * returns true when the packet belongs to the probe and must not reach the responder.
   */
  observe(packet: DhcpPacket, remote: Pick<RemoteInfo, 'address'>): boolean {
    const probe = clientMac(packet) === this.probeMac;
    if (this.options.config.passive !== 'off' || probe) this.consider(packet, remote.address, probe ? 'probe' : 'server-port');
    return probe;
  }

  /**
   * Binds the client port (when asked) and starts probing (when asked); `serverPort` is the port other
   * servers listen on (67). Never throws for a port it cannot bind: that is logged and shown in `report()`.
   */
  async start(serverPort = 67): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.serverPort = serverPort;
    const { config, logger } = this.options;
    if (config.passive === 'client-port') await this.bindClientPort();
    if (config.active) {
      const socket = createSocket({ type: 'udp4' });
      socket.on('error', (error) => logger.warn({ err: error }, 'rogue DHCP probe socket error'));
      try {
        await new Promise<void>((resolve, reject) => {
          socket.once('error', reject);
          socket.bind({ address: this.options.serverAddress, port: 0 }, () => {
            socket.off('error', reject);
            resolve();
          });
        });
        socket.setBroadcast(true);
        this.probeSocket = socket;
      } catch (error) {
        socket.close();
        logger.warn({ err: error, address: this.options.serverAddress }, 'rogue DHCP probe disabled: cannot bind a socket on the server address');
        return;
      }
      // The first probe soon after start (servers answer within a second or two), then every interval.
      this.firstProbe = setTimeout(() => this.probe(), 1_000);
      this.firstProbe.unref();
      this.timer = setInterval(() => this.probe(), config.intervalSeconds * 1000);
      this.timer.unref();
    }
  }

  /** Sends one probe DISCOVER now. */
  probe(): void {
    const socket = this.probeSocket;
    if (!socket) return;
    const xid = randomInt(0, 0x1_0000_0000);
    const data = encodePacket(probeDiscover(this.probeMac, this.options.serverAddress, xid), 300);
    socket.send(data, this.serverPort, '255.255.255.255', (error) => {
      if (error) this.options.logger.warn({ err: error }, 'rogue DHCP probe could not be sent');
    });
    this.probesSent += 1;
    this.lastProbeAt = this.now();
  }

  /** The settings, probe progress and servers seen, as of now. */
  report(): RogueReport {
    const { config } = this.options;
    const detection: RogueReport['detection'] = {
      enabled: true,
      passive: config.passive,
      active: config.active,
      intervalSeconds: config.intervalSeconds,
      probeMac: this.probeMac,
      allowedServers: [...config.allowedServers],
      clientPort: this.clientPortState,
      probesSent: this.probesSent,
    };
    if (this.clientPortError !== undefined) detection.clientPortError = this.clientPortError;
    if (this.lastProbeAt !== undefined) detection.lastProbeAt = this.lastProbeAt;
    return { detection, servers: this.table.list(this.now()) };
  }

  /** Stops probing and closes the sockets. */
  async close(): Promise<void> {
    if (this.firstProbe) clearTimeout(this.firstProbe);
    if (this.timer) clearInterval(this.timer);
    this.firstProbe = this.timer = null;
    await Promise.all(
      [this.clientSocket, this.probeSocket].map(
        (socket) =>
          new Promise<void>((resolve) => {
            if (!socket) return resolve();
            try {
              socket.close(() => resolve());
            } catch {
              resolve();
            }
          }),
      ),
    );
    this.clientSocket = this.probeSocket = null;
  }

  private async bindClientPort(): Promise<void> {
    const { logger } = this.options;
    const port = this.options.clientPort ?? 68;
    const socket = createSocket({ type: 'udp4', reuseAddr: true });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ address: '255.255.255.255', port }, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      socket.close();
      this.clientPortState = 'unavailable';
      this.clientPortError = (error as Error).message;
      logger.warn(
        { err: error, port },
        'rogue DHCP detection cannot watch the client port (another program holds it without SO_REUSEADDR?); only port 67 is watched',
      );
      return;
    }
    socket.on('message', (data, remote) => {
      let packet: DhcpPacket;
      try {
        packet = decodePacket(data);
      } catch {
        return; // not DHCP, or malformed: nothing to learn
      }
      this.consider(packet, remote.address, clientMac(packet) === this.probeMac ? 'probe' : 'client-port');
    });
    socket.on('error', (error) => logger.warn({ err: error }, 'rogue DHCP client-port socket error'));
    this.clientSocket = socket;
    this.clientPortState = 'bound';
  }

  private consider(packet: DhcpPacket, sourceIp: string, via: RogueDhcpVia): void {
    const sighting = sightingOf(packet, sourceIp, via, this.policy);
    if (sighting === null) return;
    const at = this.now();
    const { server, report } = this.table.record(sighting, at);
    if (report === null) return;
    this.options.events.emit(rogueEvent(sighting, server, report === 'new', at));
    const suppressed = this.table.suppressedReports;
    this.table.suppressedReports = 0;
    this.options.logger.warn(
      {
        serverId: sighting.serverId,
        sourceIp: sighting.sourceIp,
        messageType: sighting.messageType,
        via: sighting.via,
        clientMac: sighting.clientMac,
        yiaddr: sighting.yiaddr,
        bootFile: sighting.bootFile,
        sightings: server.sightings,
        ...(suppressed > 0 ? { suppressedReports: suppressed } : {}),
      },
      report === 'new' ? 'another DHCP server answers on the boot network' : 'another DHCP server still answers on the boot network',
    );
  }
}

/** The timeline event for a reported sighting. */
function rogueEvent(sighting: RogueSighting, server: RogueServer, firstSeen: boolean, at: number): RogueDhcpServerEvent {
  const event: RogueDhcpServerEvent = { kind: 'dhcp-rogue', at, serverId: sighting.serverId, messageType: sighting.messageType, via: sighting.via, firstSeen, sightings: server.sightings };
  if (sighting.sourceIp !== undefined) event.sourceIp = sighting.sourceIp;
  if (sighting.clientMac !== undefined) event.clientMac = sighting.clientMac;
  if (sighting.yiaddr !== undefined) event.yiaddr = sighting.yiaddr;
  if (sighting.bootFile !== undefined) event.bootFile = sighting.bootFile;
  return event;
}
