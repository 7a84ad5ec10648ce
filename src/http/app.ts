/**
 * The HTTP application. Built here and never started here: `buildApp` returns a fastify instance that
 * tests drive with `inject()`, and `services.ts` is the only place that calls `listen`.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from '../config/schema.js';
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../log.js';

/** What the HTTP app needs from the rest of the process. */
export interface AppDeps {
  config: Config;
  logger: Logger;
  events: EventBus;
}

/** Builds the fastify app with every route registered. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.logger.child({ subsystem: 'http' }) as FastifyBaseLogger });

  app.get('/healthz', async () => ({ status: 'ok' }));

  return app;
}
