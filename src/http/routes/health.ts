/**
 * Service endpoints: `/healthz` (the process answers), `/readyz` (the store answers and its last write
 * succeeded; 503 otherwise) and `/metrics` (Prometheus text format).
 */
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../metrics/metrics.js';
import type { Store } from '../../store/types.js';
import { ApiError } from '../errors.js';

/** How long `/readyz` waits for the store. */
const READY_TIMEOUT_MS = 2_000;

/** Why the store takes no writes now (`null` when it does); see `StoreWriteHealth`. */
export interface StoreWriteState {
  problem(): string | null;
}

/** Registers health, readiness and metrics. */
export function registerHealthRoutes(app: FastifyInstance, store: Store | undefined, metrics: Metrics | undefined, writes?: StoreWriteState): void {
  const tags = ['service'];
  app.get('/healthz', { schema: { tags, summary: 'Liveness: the process answers' } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { tags, summary: 'Readiness: the store answers (503 otherwise)' } }, async () => {
    if (!store) return { status: 'ready' };
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        store.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer in ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      throw new ApiError('unavailable', `store (${store.backend}) unreachable: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    const writeProblem = writes?.problem() ?? null;
    if (writeProblem !== null) throw new ApiError('unavailable', `store (${store.backend}) refuses writes: ${writeProblem}`);
    return { status: 'ready', store: store.backend };
  });

  if (metrics) {
    app.get('/metrics', { schema: { tags, summary: 'Prometheus metrics' } }, async (_request, reply) => {
      const { contentType, body } = await metrics.render();
      return reply.type(contentType).send(body);
    });
  }
}
