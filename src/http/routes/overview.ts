/**
 * `GET /api/v1/overview`: the figures of the console's Overview page: boots and failures per minute over
 * the last hour, machines booting now, the transfers of the last minute with their throughput, pool use
 * per subnet and the latest failures. The figures come from the machine index (`ui/machine-index.ts`),
 * which tallies them as events arrive, and the DHCP pools: a request costs the same with 100 events an
 * hour or 100 000. Running transfers are `GET /api/v1/transfers/active`'s.
 */
import type { FastifyInstance } from 'fastify';
import type { BootEvent } from '../../timeline/types.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { MachineIndex } from '../ui/machine-index.js';
import { BOOTING_WINDOW_MS, isFailure } from '../ui/machine-state.js';
import type { OverviewFigures } from '../ui/overview-tally.js';

export { OVERVIEW_MINUTES, type TransferRow } from '../ui/overview-tally.js';

/** The overview answer. */
export interface Overview extends OverviewFigures {
  at: number;
  /** Machines whose last event, less than two minutes old, is not a failure. */
  bootingNow: number;
  pools: Array<{ pool: string; size: number; used: number }>;
  recentErrors: BootEvent[];
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
export function registerOverviewRoute(app: FastifyInstance, index: MachineIndex, metrics: Metrics | undefined, now: () => number = Date.now): void {
  app.get('/api/v1/overview', { schema: { tags: ['machines'], summary: 'Boots and failures per minute over the last hour, transfers, pool use, recent errors' } }, async () => {
    const [machines, pools] = await Promise.all([index.machines(), poolsFrom(metrics)]);
    const t = now();
    let bootingNow = 0;
    for (const { last } of machines.values()) if (t - last.at < BOOTING_WINDOW_MS && !isFailure(last)) bootingNow += 1;
    const overview: Overview = { at: t, bootingNow, pools, ...index.overview.figures(t) };
    return overview;
  });
}
