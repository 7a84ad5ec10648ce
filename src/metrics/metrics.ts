/**
 * Prometheus metrics (`prom-client`), each instance with its own registry (so tests and several apps in
 * one process never collide). Boot events feed the DHCP, TFTP and boot-phase series; the HTTP app reports
 * every request; pool usage is read from the DHCP server on each scrape.
 *
 * Series:
 * - `xenboot_dhcp_messages_total{type,reply}`: DHCP messages by type and what xenboot answered (`none` = silent)
 * - `xenboot_dhcp_pool_addresses{pool,state}`: `used` / `free` addresses per pool
 * - `xenboot_tftp_transfers_total{outcome}`, `xenboot_tftp_bytes_total`, `xenboot_tftp_errors_total{outcome}`,
 *   `xenboot_tftp_transfer_duration_seconds` (histogram, by outcome)
 * - `xenboot_tftp_retransmits_total`: DATA/OACK packets sent again; `xenboot_tftp_send_buffer_full_total`:
 *   sends that found a transfer socket's send buffer full and waited (the window outruns the path)
 * - `xenboot_http_requests_total{method,route,status}`, `xenboot_http_request_duration_seconds` (histogram)
 * - `xenboot_dhcp_dropped_total{reason}`: DHCP datagrams dropped before the responder (`malformed`,
 *   `rate-limited`, `overload`: a DISCOVER that waited too long in the receive queue or arrived while too
 *   many exchanges waited to finish (either engine), `no-network`: a
 *   request on an interface carrying no configured network); `xenboot_dhcp_pool_exhausted_total`: requests that found their pool full
 * - `xenboot_tftp_dropped_total{reason}`: TFTP datagrams ignored (`malformed`, `unexpected` on the
 *   listening port, `duplicate` requests, `stranger` on a transfer socket from another address/port,
 *   `garbage` on a transfer socket)
 * - `xenboot_dhcp_rogue_servers`: other DHCP servers remembered (seen within a day, not allowed);
 *   `xenboot_dhcp_rogue_sightings_total{server}`: messages seen from or naming each;
 *   `xenboot_dhcp_rogue_server_last_seen_seconds{server}`: when each was last seen (Unix time)
 * - two-instance mode (`dhcp.ha`), absent otherwise: `xenboot_dhcp_ha_peer_up{peer}` (1 up, 0 down, this
 *   instance included), `xenboot_dhcp_ha_answering_buckets` (of the 256 RFC 3074 buckets: about 128 of two
 *   peers while both are up, 256 after a takeover), `xenboot_dhcp_ha_heartbeat_age_seconds` (since this
 *   instance's own heartbeat was last written), `xenboot_dhcp_ha_fenced` (1 while it answers nobody),
 *   `xenboot_dhcp_ha_kernel_filter` (1 while the peer's requests are dropped in the kernel),
 *   `xenboot_dhcp_ha_takeovers_total`, `xenboot_dhcp_ha_handbacks_total`,
 *   `xenboot_dhcp_ha_heartbeat_failures_total`, `xenboot_dhcp_ha_dropped_total{reason}` (`peer`: another
 *   instance's client; `fenced`)
 * - `xenboot_store_write_failures_total`: lease and event writes the store refused (full disk, outage)
 * - `xenboot_boot_phase_total{profile,phase}`: machines reaching a boot phase (`dhcp-offer`, `dhcp-ack`,
 *   `tftp`, `http`), by the profile they boot (`unknown` when not in the inventory)
 * - the default Node process metrics, prefixed `xenboot_`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BootEvent } from '../timeline/types.js';
import type { PoolStatsSource } from './pool-stats.js';

/** What the metrics need from the rest of the process. */
export interface MetricsOptions {
  /** Pool usage from the DHCP server (absent when DHCP is off). */
  poolStats?: PoolStatsSource;
  /** The profile a MAC boots, for the boot-phase series. */
  profileOf?: (mac: string) => string | undefined;
  /** Collect Node process metrics too (default true). */
  processMetrics?: boolean;
  /** Drop and failure counters kept by the servers and the store, read on each scrape. */
  counters?: () => ServerCounters;
  /** The two-instance mode's state (`dhcp.ha`), read on each scrape; null or absent when not configured. */
  ha?: () => HaReport | null;
  /** Other DHCP servers seen (rogue DHCP detection), read on each scrape. */
  rogueServers?: () => ReadonlyArray<{ serverId: string; sightings: number; lastSeen: number }>;
}

/** Totals the servers keep themselves (each only grows); absent parts are not running. */
export interface ServerCounters {
  dhcp?: { malformed: number; rateLimited: number; poolExhausted: number; shed?: number; overloaded?: number; noNetwork?: number };
  tftp?: { malformed: number; unexpected: number; duplicates: number; strangers: number; transferGarbage: number };
  storeWriteFailures?: number;
}

/** What the two-instance mode reports on each scrape (the DHCP server's HA member: `status()` and `stats`). */
export interface HaReport {
  peers: ReadonlyArray<{ name: string; up: boolean }>;
  answeringBuckets: number;
  heartbeatAgeMs: number;
  fenced: boolean;
  takeovers: number;
  handbacks: number;
  heartbeatFailures: number;
  peersRequests: number;
  fencedRequests: number;
  /** The peer's requests are dropped in the kernel (eBPF socket filter), not only by the socket. */
  kernelFilter: boolean;
}

/** Samples a series reads at scrape time: labels and value of each. */
type ScrapedRows = Array<[Record<string, string>, number]>;

/** A counter whose totals are kept elsewhere and read at each scrape (`read`): reset, then set to them. */
function scrapedCounter(registry: Registry, name: string, help: string, labelNames: string[], read: () => ScrapedRows): Counter {
  return new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of read()) this.inc(labels, value);
    },
  });
}

/** A gauge whose values are read at each scrape (`read`); a label set `read` no longer gives is dropped. */
function scrapedGauge(registry: Registry, name: string, help: string, labelNames: string[], read: () => ScrapedRows): Gauge {
  return new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of read()) this.set(labels, value);
    },
  });
}

/** The boot phase an event marks, if it marks one. */
export function bootPhase(event: BootEvent): string | null {
  switch (event.kind) {
    case 'dhcp':
      return event.reply === 'OFFER' ? 'dhcp-offer' : event.reply === 'ACK' ? 'dhcp-ack' : null;
    case 'tftp':
      return event.outcome === 'complete' ? 'tftp' : null;
    case 'http':
      return event.status >= 200 && event.status < 300 ? 'http' : null;
    case 'lifecycle':
    case 'dhcp-rogue':
      return null;
  }
}

/** The metrics of one xenboot instance. */
export class Metrics {
  readonly registry = new Registry();
  private readonly dhcpMessages: Counter<'type' | 'reply'>;
  private readonly tftpTransfers: Counter<'outcome'>;
  private readonly tftpBytes: Counter;
  private readonly tftpErrors: Counter<'outcome'>;
  private readonly tftpDuration: Histogram<'outcome'>;
  private readonly tftpRetransmits: Counter;
  private readonly tftpSendBufferFull: Counter;
  private readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  private readonly httpDuration: Histogram<'method' | 'route'>;
  private readonly bootPhases: Counter<'profile' | 'phase'>;

  constructor(private readonly options: MetricsOptions = {}) {
    const registers = [this.registry];
    this.dhcpMessages = new Counter({ name: 'xenboot_dhcp_messages_total', help: 'DHCP messages received, by message type and reply sent', labelNames: ['type', 'reply'], registers });
    const poolStats = options.poolStats;
    new Gauge({
      name: 'xenboot_dhcp_pool_addresses',
      help: 'Addresses per DHCP pool, by state (used, free)',
      labelNames: ['pool', 'state'],
      registers,
      async collect() {
        this.reset();
        if (!poolStats) return;
        for (const pool of await poolStats()) {
          this.set({ pool: pool.pool, state: 'used' }, pool.used);
          this.set({ pool: pool.pool, state: 'free' }, Math.max(0, pool.size - pool.used));
        }
      },
    });
    const counters = options.counters;
    // Totals read from the servers at scrape time.
    const fromCounters = (name: string, help: string, labelNames: string[], read: (c: ServerCounters) => ScrapedRows) =>
      scrapedCounter(this.registry, name, help, labelNames, () => (counters ? read(counters()) : []));
    fromCounters('xenboot_dhcp_dropped_total', 'DHCP datagrams dropped before the responder, by reason', ['reason'], (c) =>
      c.dhcp
        ? [[{ reason: 'malformed' }, c.dhcp.malformed], [{ reason: 'rate-limited' }, c.dhcp.rateLimited], [{ reason: 'overload' }, (c.dhcp.shed ?? 0) + (c.dhcp.overloaded ?? 0)], [{ reason: 'no-network' }, c.dhcp.noNetwork ?? 0]]
        : [],
    );
    fromCounters('xenboot_dhcp_pool_exhausted_total', 'DHCP requests that found their pool full', [], (c) => (c.dhcp ? [[{}, c.dhcp.poolExhausted]] : []));
    fromCounters('xenboot_tftp_dropped_total', 'TFTP datagrams ignored, by reason', ['reason'], (c) =>
      c.tftp
        ? [
            [{ reason: 'malformed' }, c.tftp.malformed],
            [{ reason: 'unexpected' }, c.tftp.unexpected],
            [{ reason: 'duplicate' }, c.tftp.duplicates],
            [{ reason: 'stranger' }, c.tftp.strangers],
            [{ reason: 'garbage' }, c.tftp.transferGarbage],
          ]
        : [],
    );
    fromCounters('xenboot_store_write_failures_total', 'Lease and event writes the store failed', [], (c) =>
      c.storeWriteFailures === undefined ? [] : [[{}, c.storeWriteFailures]],
    );
    const rogueServers = options.rogueServers;
    const rogue = () => rogueServers?.() ?? [];
    scrapedGauge(this.registry, 'xenboot_dhcp_rogue_servers', 'Other DHCP servers seen on the boot networks within a day (allowed servers excluded)', [], () => [[{}, rogue().length]]);
    scrapedCounter(this.registry, 'xenboot_dhcp_rogue_sightings_total', 'DHCP messages seen from, or naming, another DHCP server, by its server identifier', ['server'], () =>
      rogue().map((server) => [{ server: server.serverId }, server.sightings]),
    );
    scrapedGauge(this.registry, 'xenboot_dhcp_rogue_server_last_seen_seconds', 'When another DHCP server was last seen, Unix time in seconds, by its server identifier', ['server'], () =>
      rogue().map((server) => [{ server: server.serverId }, server.lastSeen / 1000]),
    );
    this.registerHa(options.ha);
    this.tftpTransfers = new Counter({ name: 'xenboot_tftp_transfers_total', help: 'TFTP read requests, by outcome', labelNames: ['outcome'], registers });
    this.tftpBytes = new Counter({ name: 'xenboot_tftp_bytes_total', help: 'TFTP payload bytes acknowledged by clients', registers });
    this.tftpErrors = new Counter({ name: 'xenboot_tftp_errors_total', help: 'TFTP transfers that did not complete, by outcome', labelNames: ['outcome'], registers });
    this.tftpDuration = new Histogram({
      name: 'xenboot_tftp_transfer_duration_seconds',
      help: 'TFTP transfer duration from request to end',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    });
    this.tftpRetransmits = new Counter({ name: 'xenboot_tftp_retransmits_total', help: 'TFTP DATA and OACK packets sent again', registers });
    this.tftpSendBufferFull = new Counter({
      name: 'xenboot_tftp_send_buffer_full_total',
      help: 'TFTP sends that found the transfer socket send buffer full and waited for room (native engine)',
      registers,
    });
    this.httpRequests = new Counter({ name: 'xenboot_http_requests_total', help: 'HTTP requests, by method, route and status', labelNames: ['method', 'route', 'status'], registers });
    this.httpDuration = new Histogram({
      name: 'xenboot_http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers,
    });
    this.bootPhases = new Counter({ name: 'xenboot_boot_phase_total', help: 'Boot phases reached, by profile', labelNames: ['profile', 'phase'], registers });
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'xenboot_' });
  }

  /** The two-instance series: each reads `ha()` at scrape time and is empty when it answers null. */
  private registerHa(ha: (() => HaReport | null) | undefined): void {
    if (!ha) return;
    type Rows = (report: HaReport) => ScrapedRows;
    const rows = (read: Rows) => () => {
      const report = ha();
      return report ? read(report) : [];
    };
    const gauge = (name: string, help: string, labelNames: string[], read: Rows) => scrapedGauge(this.registry, name, help, labelNames, rows(read));
    const counter = (name: string, help: string, labelNames: string[], read: Rows) => scrapedCounter(this.registry, name, help, labelNames, rows(read));
    const prefix = 'Two-instance mode: ';
    gauge('xenboot_dhcp_ha_peer_up', `${prefix}1 when an instance (this one included) is considered up, 0 when its clients are taken over`, ['peer'], (r) =>
      r.peers.map((peer) => [{ peer: peer.name }, peer.up ? 1 : 0]),
    );
    gauge('xenboot_dhcp_ha_answering_buckets', `${prefix}RFC 3074 hash buckets (of 256) this instance answers now`, [], (r) => [[{}, r.answeringBuckets]]);
    gauge('xenboot_dhcp_ha_heartbeat_age_seconds', `${prefix}seconds since this instance last wrote its heartbeat`, [], (r) => [[{}, r.heartbeatAgeMs / 1000]]);
    gauge('xenboot_dhcp_ha_kernel_filter', `${prefix}1 while the peer's requests are dropped in the kernel (eBPF socket filter), 0 when only the socket drops them`, [], (r) => [[{}, r.kernelFilter ? 1 : 0]]);
    gauge('xenboot_dhcp_ha_fenced', `${prefix}1 while this instance answers nobody (its own heartbeat is older than the takeover time)`, [], (r) => [[{}, r.fenced ? 1 : 0]]);
    counter('xenboot_dhcp_ha_takeovers_total', `${prefix}times a peer was declared down and its clients taken over`, [], (r) => [[{}, r.takeovers]]);
    counter('xenboot_dhcp_ha_handbacks_total', `${prefix}times a peer came back and got its clients back`, [], (r) => [[{}, r.handbacks]]);
    counter('xenboot_dhcp_ha_heartbeat_failures_total', `${prefix}heartbeats the shared store did not take`, [], (r) => [[{}, r.heartbeatFailures]]);
    counter('xenboot_dhcp_ha_dropped_total', `${prefix}DHCP requests left to another instance (peer) or dropped while fenced`, ['reason'], (r) => [
      [{ reason: 'peer' }, r.peersRequests],
      [{ reason: 'fenced' }, r.fencedRequests],
    ]);
  }

  /** Counts one boot event (called with enriched events, so TFTP and HTTP carry a MAC where known). */
  observeEvent(event: BootEvent): void {
    switch (event.kind) {
      case 'dhcp':
        this.dhcpMessages.inc({ type: event.messageType, reply: event.reply ?? 'none' });
        break;
      case 'tftp':
        this.tftpTransfers.inc({ outcome: event.outcome });
        this.tftpBytes.inc(event.bytes);
        if (event.outcome !== 'complete') this.tftpErrors.inc({ outcome: event.outcome });
        this.tftpDuration.observe({ outcome: event.outcome }, event.durationMs / 1000);
        this.tftpRetransmits.inc(event.retransmits);
        this.tftpSendBufferFull.inc(event.sendBufferFull);
        break;
      case 'http':
        break; // counted by observeHttp for every request, boot path or not
      case 'lifecycle':
        break;
      case 'dhcp-rogue':
        break; // counted per server from the detector's table (xenboot_dhcp_rogue_*)
    }
    const phase = bootPhase(event);
    if (phase !== null) {
      const profile = (event.mac !== undefined ? this.options.profileOf?.(event.mac) : undefined) ?? 'unknown';
      this.bootPhases.inc({ profile, phase });
    }
  }

  /** Counts one HTTP request; `route` is the route pattern (`/api/v1/hosts/:mac`), never the raw URL. */
  observeHttp(method: string, route: string, status: number, durationMs: number): void {
    this.httpRequests.inc({ method, route, status: String(status) });
    this.httpDuration.observe({ method, route }, durationMs / 1000);
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
