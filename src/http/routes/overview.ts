/**
 * `GET /api/v1/overview`: the figures of the console's Overview page, read from the stored timeline of
 * the last hour and the DHCP pools: boots and failures per minute, machines booting now, the transfers of
 * the last minute with their throughput, pool use per subnet and the latest failures.
 *
 * A "boot" is a DHCP ACK that named a boot file; a failure is what `isFailure` says (a TFTP transfer that
 * did not complete, an HTTP fetch answered 4xx/5xx, a NAK). Transfers are reported when they end (the
 * timeline records a transfer once, at its end), so "recent transfers" is the last minute's.
 */
import type { FastifyInstance } from 'fastify';
import type { BootEvent } from '../../timeline/types.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { Store } from '../../store/types.js';
import { BOOTING_WINDOW_MS, isFailure } from '../ui/machine-state.js';

const MINUTE = 60_000;
/** Minutes in the per-minute series. */
export const OVERVIEW_MINUTES = 60;

/** One finished transfer as the overview lists it. */
export interface TransferRow {
  at: number;
  mac?: string;
  ip?: string;
  via: 'tftp' | 'http';
  file: string;
  bytes: number;
  durationMs: number;
  /** Bytes per second over the transfer. */
  throughput: number;
  ok: boolean;
}

/** The overview answer. */
export interface Overview {
  at: number;
  /** Oldest minute first; `start` is the minute's first millisecond. */
  perMinute: Array<{ start: number; boots: number; failures: number }>;
  bootingNow: number;
  transfers: TransferRow[];
  pools: Array<{ pool: string; size: number; used: number }>;
  recentErrors: BootEvent[];
}

/** Computes the overview from the last hour's events (oldest first). Pure. */
export function overviewOf(events: BootEvent[], pools: Overview['pools'], now: number): Overview {
  const firstMinute = Math.floor(now / MINUTE) * MINUTE - (OVERVIEW_MINUTES - 1) * MINUTE;
  const perMinute = Array.from({ length: OVERVIEW_MINUTES }, (_, i) => ({ start: firstMinute + i * MINUTE, boots: 0, failures: 0 }));
  const lastByMac = new Map<string, BootEvent>();
  const transfers: TransferRow[] = [];
  const errors: BootEvent[] = [];
  for (const event of events) {
    const slot = perMinute[Math.floor((event.at - firstMinute) / MINUTE)];
    const failed = isFailure(event);
    if (slot) {
      if (event.kind === 'dhcp' && event.reply === 'ACK' && event.bootFile !== undefined) slot.boots += 1;
      if (failed) slot.failures += 1;
    }
    if (failed) errors.push(event);
    if (event.mac !== undefined) lastByMac.set(event.mac, event);
    if (event.kind !== 'dhcp' && now - event.at < MINUTE) {
      const file = event.kind === 'tftp' ? event.file : event.path;
      const row: TransferRow = { at: event.at, via: event.kind, file, bytes: event.bytes, durationMs: event.durationMs, throughput: event.durationMs > 0 ? Math.round((event.bytes * 1000) / event.durationMs) : event.bytes, ok: !failed };
      if (event.mac !== undefined) row.mac = event.mac;
      if (event.ip !== undefined) row.ip = event.ip;
      transfers.push(row);
    }
  }
  let bootingNow = 0;
  for (const last of lastByMac.values()) if (now - last.at < BOOTING_WINDOW_MS && !isFailure(last)) bootingNow += 1;
  return { at: now, perMinute, bootingNow, transfers: transfers.reverse().slice(0, 50), pools, recentErrors: errors.reverse().slice(0, 20) };
}

/** Reads the pool gauge `/metrics` publishes (it asks the DHCP server at each read). */
async function poolsFrom(metrics: Metrics | undefined): Promise<Overview['pools']> {
  const gauge = metrics?.registry.getSingleMetric('xenboot_dhcp_pool_addresses');
  if (!gauge) return [];
  const byPool = new Map<string, { pool: string; size: number; used: number }>();
  for (const sample of (await gauge.get()).values) {
    const pool = String(sample.labels.pool);
    const entry = byPool.get(pool) ?? { pool, size: 0, used: 0 };
    entry.size += sample.value;
    if (sample.labels.state === 'used') entry.used = sample.value;
    byPool.set(pool, entry);
  }
  return [...byPool.values()];
}

/** Registers `GET /api/v1/overview`. */
export function registerOverviewRoute(app: FastifyInstance, store: Store, metrics: Metrics | undefined, now: () => number = Date.now): void {
  app.get('/api/v1/overview', { schema: { tags: ['machines'], summary: 'Boots and failures per minute over the last hour, transfers, pool use, recent errors' } }, async () => {
    const t = now();
    const [events, pools] = await Promise.all([store.events.listEvents({ since: t - OVERVIEW_MINUTES * MINUTE, limit: 200_000 }), poolsFrom(metrics)]);
    return overviewOf(events, pools, t);
  });
}
