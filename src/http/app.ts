/**
 * The HTTP application. Built here and never started here: `buildApp` returns a fastify instance that
 * tests drive with `inject()`, and `services.ts` is the only place that calls `listen`.
 *
 * Routes: `/healthz`, `/readyz`, `/metrics`; the API under `/api/v1` (inventory CRUD and import, leases,
 * machine timelines and live event streams); `/openapi.json` and `/docs`; and, for every other path, the
 * boot files TFTP serves too (GET, HEAD, Range). Every error is JSON with a code and a field path.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { InventoryDocuments } from '../inventory/model.js';
import type { Inventory, StoredDocumentChange } from '../inventory/snapshot.js';
import type { Config } from '../config/schema.js';
import type { ContentHandler } from '../content/types.js';
import type { EventBus } from '../timeline/bus.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import type { EventRecorder } from '../timeline/recorder.js';
import type { ActiveTransfers } from '../timeline/active-transfers.js';
import type { Store } from '../store/types.js';
import { accessGuards, installAccessControl } from './auth.js';
import { installJsonBodyParser } from './json-body.js';
import { installRequestTimeout } from './request-timeout.js';
import { installErrorHandlers } from './errors.js';
import { registerFetchEvents } from './fetch-events.js';
import { registerEffectiveInventoryRoute } from './routes/effective-inventory.js';
import { registerFileRoutes } from './routes/files.js';
import { registerHealthRoutes, type StoreWriteState } from './routes/health.js';
import { registerImportRoute } from './routes/import.js';
import { registerInventoryRoutes } from './routes/inventory.js';
import { registerLeaseRoutes } from './routes/leases.js';
import { registerTimelineRoutes } from './routes/timeline.js';
import { registerEffectiveDocumentRoutes } from './routes/effective-document.js';
import { registerMachinesRoute } from './routes/machines.js';
import { registerOverviewRoute } from './routes/overview.js';
import { registerActiveTransfersRoute } from './routes/transfers.js';
import { CALLBACK_ROUTE, registerLifecycleRoutes, UNSIGNED_CALLBACK_ROUTE, type LifecycleRouteDeps } from './routes/lifecycle.js';
import { registerRogueServersRoute, type RogueServersSource } from './routes/rogue-servers.js';
import { registerConsoleRoutes } from './ui/routes.js';
import { MachineIndex } from './ui/machine-index.js';
import { typeboxValidatorCompiler } from './validate.js';

/** What the HTTP app needs from the rest of the process. Without `store` only the service endpoints exist. */
export interface AppDeps {
  config: Config;
  logger: Logger;
  events: EventBus;
  store?: Store;
  /**
   * The live inventory, updated after every API change: patched with what was written when it has
   * `applyStoredChanges`, else reloaded (`current` also serves `GET /api/v1/inventory`).
   */
  inventory?: { refresh(): Promise<void>; applyStoredChanges?(changes: readonly StoredDocumentChange[], revision: number): Promise<void>; current?(): Inventory };
  /** The config file's inventory as loaded now (changes on SIGHUP); defaults to `config.inventory`. */
  configInventory?: () => InventoryDocuments;
  /** The content chain shared with TFTP (generated files, then static files). */
  content?: ContentHandler;
  /** Live, MAC-enriched events for the SSE streams. */
  recorder?: EventRecorder;
  metrics?: Metrics;
  /** The TFTP and HTTP transfers running now (TFTP reports into it; the file route here does too). */
  activeTransfers?: ActiveTransfers;
  /** Whether the store's last write succeeded, for `/readyz`. */
  storeWrites?: StoreWriteState;
  /** The boot lifecycle and power control (`/api/v1/hosts/:host/next-boot`, callbacks, power). */
  lifecycle?: Omit<LifecycleRouteDeps, 'inventory'>;
  /** Other DHCP servers seen (rogue DHCP detection); absent or returning null when DHCP is off. */
  rogueServers?: RogueServersSource;
  /** Registers further routes (the boot endpoints) before the catch-all file route. */
  extraRoutes?: (app: FastifyInstance) => void | Promise<void>;
}

/**
 * API routes boot clients call without a token (route patterns, as registered): the boot spec
 * (xenboot-pvboot), and lifecycle callbacks, which carry their own per-boot signature.
 */
export const PUBLIC_API_ROUTES = ['/api/v1/boot-spec/:mac', CALLBACK_ROUTE, UNSIGNED_CALLBACK_ROUTE];

/** Builds the fastify app with every route registered. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger.child({ subsystem: 'http' }) as FastifyBaseLogger,
    // Per-request lines would drown the log during a boot storm; boot fetches become events instead.
    logController: new LogController({ disableRequestLogging: true }),
    // Boot clients (lpxelinux, iPXE) are slow readers of big files; SSE streams stay open.
    forceCloseConnections: 'idle',
  });
  app.setValidatorCompiler(typeboxValidatorCompiler);
  installErrorHandlers(app);
  installJsonBodyParser(app);
  installRequestTimeout(app, deps.config.http.requestTimeout);
  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string', bodyLimit: 16 * 1024 * 1024 }, (_request, body, done) => done(null, body));

  const http = deps.config.http;
  if (http.docs) {
    await app.register(swagger, {
      openapi: {
        info: { title: 'xenboot API', version: '1', description: 'Inventory, leases, boot timeline and boot files of a xenboot instance.' },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
        tags: [
          { name: 'inventory', description: 'hosts, profiles and groups kept in the store' },
          { name: 'leases', description: 'DHCP leases' },
          { name: 'dhcp', description: 'the DHCP service: other servers seen on the boot networks' },
          { name: 'timeline', description: 'boot events per machine' },
          { name: 'machines', description: 'machines known and seen, with state; overview figures (the console reads these)' },
          { name: 'explain', description: 'what a machine would boot, and why' },
          { name: 'lifecycle', description: 'next-boot actions, boot callbacks and power control through BMCs' },
          { name: 'service', description: 'health and metrics' },
        ],
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  }

  if (deps.metrics) registerFetchEvents(app, deps.events, deps.metrics);
  else registerFetchEvents(app, deps.events);
  registerHealthRoutes(app, deps.store, deps.metrics, deps.storeWrites);

  // Every API route registered from here on carries its guard (`explain`, registered with the boot routes,
  // shows the inventory: it is a read like the rest of the API). The boot spec stays open: xenboot-pvboot
  // fetches it as firmware fetches files.
  installAccessControl(app, accessGuards(http), PUBLIC_API_ROUTES);
  if (deps.store) {
    const store = deps.store;
    const inventory = deps.inventory;
    const ctx = {
      store,
      configInventory: deps.configInventory ?? (() => deps.config.inventory as unknown as InventoryDocuments),
      applied: async (changes: readonly StoredDocumentChange[], revision: number) => {
        if (inventory?.applyStoredChanges) await inventory.applyStoredChanges(changes, revision);
        else await inventory?.refresh();
      },
    };
    registerInventoryRoutes(app, ctx);
    registerImportRoute(app, ctx);
    registerLeaseRoutes(app, store.leases);
    registerTimelineRoutes(app, store.events, deps.recorder);
    const current = inventory?.current?.bind(inventory);
    if (current) registerEffectiveInventoryRoute(app, store, current);
    // The operator's console (`/`) and the endpoints only it needed so far. The machine index reads the
    // stored window now, so the first visitor does not wait for it; a store shared with other instances
    // is read again every `store.pollSeconds` for their events.
    const index = new MachineIndex({ events: store.events, recorder: deps.recorder, pollMs: store.backend === 'postgres' ? deps.config.store.pollSeconds * 1000 : 0 });
    index.start().catch((error: unknown) => app.log.warn({ err: error }, 'could not read the timeline for the machines list; retried on the next request'));
    app.addHook('onClose', async () => index.stop());
    if (current) registerEffectiveDocumentRoutes(app, store, current);
    if (current) registerMachinesRoute(app, index, store.leases, current);
    if (current && deps.lifecycle) registerLifecycleRoutes(app, { ...deps.lifecycle, inventory: current });
    registerOverviewRoute(app, index, deps.metrics);
  }
  if (deps.activeTransfers) registerActiveTransfersRoute(app, deps.activeTransfers);
  registerRogueServersRoute(app, deps.rogueServers ?? (() => null));
  registerConsoleRoutes(app);
  if (deps.extraRoutes) await deps.extraRoutes(app);
  if (deps.content) registerFileRoutes(app, deps.content, deps.activeTransfers);
  return app;
}
