/**
 * Builds the HTTP app for contract tests: a real store (either backend), a real event bus and recorder,
 * metrics, and a content chain over a temporary TFTP root. Driven with `inject()`; nothing listens.
 */
import type { RogueServersSource } from '../../src/http/routes/rogue-servers.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { InventoryProvider } from '../../src/inventory/snapshot.js';
import { inventoryInputFromConfig, storeInventoryLoader } from '../../src/boot-service.js';
import { buildConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { chainHandlers } from '../../src/content/chain.js';
import { staticFileHandler } from '../../src/content/static-files.js';
import { bufferContent, type ContentHandler } from '../../src/content/types.js';
import { EventBus } from '../../src/timeline/bus.js';
import { buildApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics/metrics.js';
import type { PoolStatsSource } from '../../src/metrics/pool-stats.js';
import { defaultEventRetention } from '../../src/store/config.js';
import { EventEnricher } from '../../src/timeline/enricher.js';
import { EventRecorder } from '../../src/timeline/recorder.js';
import { ActiveTransfers } from '../../src/timeline/active-transfers.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/types.js';

/** The token the harness configures. */
export const TOKEN = 'test-token-0123456789abcdef';
/** `Authorization` header with the right token. */
export const AUTH = { authorization: `Bearer ${TOKEN}` };

/** A built app and what it is connected to. */
export interface Harness {
  app: FastifyInstance;
  store: Store;
  bus: EventBus;
  recorder: EventRecorder;
  metrics: Metrics;
  /** The running-transfers registry the file route reports into. */
  activeTransfers: ActiveTransfers;
  config: Config;
  root: string;
  refreshes: number;
  close(): Promise<void>;
}

/** Options: config sections to merge, another store, a pool-stats source. */
export interface HarnessOptions {
  config?: Record<string, unknown>;
  store?: Store;
  poolStats?: PoolStatsSource;
  profileOf?: (mac: string) => string | undefined;
  /** Other DHCP servers seen, for the API and the metrics (rogue DHCP detection). */
  rogueServers?: RogueServersSource;
}

/** Builds an app on a fresh store (SQLite in memory unless `store` is given). */
export async function buildHarness(options: HarnessOptions = {}): Promise<Harness> {
  const root = mkdtempSync(join(tmpdir(), 'xenboot-http-'));
  // Reads are open here (the contract tests are about the API's answers); test/http/auth.test.ts and
  // hostile.test.ts check the default, `readAccess: token`, by giving their own `http` section.
  const input = { http: { token: TOKEN, readAccess: 'open' }, tftp: { root }, ...(options.config ?? {}) };
  const result = buildConfig(input, { baseDir: root, privileged: false });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  const config = result.config;
  const store = options.store ?? openSqliteStore(':memory:');
  const bus = new EventBus();
  const enricher = new EventEnricher({ leases: store.leases });
  const recorder = new EventRecorder({ bus, events: store.events, enricher, retention: defaultEventRetention, logger: silentLogger(), flushIntervalMs: 5 });
  recorder.start();
  // The live inventory, as services.ts builds it: config file part + store part.
  const provider = new InventoryProvider(inventoryInputFromConfig(config), storeInventoryLoader(store));
  await provider.refresh();
  const rogueServers = options.rogueServers;
  const metrics = new Metrics({ poolStats: options.poolStats, profileOf: options.profileOf, processMetrics: false, rogueServers: () => rogueServers?.()?.servers ?? [] });
  recorder.subscribe((e) => metrics.observeEvent(e));
  // A generated file in front of the static files, as the boot handlers do.
  const generated: ContentHandler = async (request) => (request.path === 'generated/hello.ipxe' ? bufferContent('#!ipxe\necho hello\n') : null);
  const harness: Harness = {
    app: undefined as unknown as FastifyInstance,
    store,
    bus,
    recorder,
    metrics,
    activeTransfers: new ActiveTransfers(),
    config,
    root,
    refreshes: 0,
    async close() {
      await harness.app.close();
      await recorder.close();
      if (!options.store) await store.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
  harness.app = await buildApp({
    config,
    logger: silentLogger(),
    events: bus,
    store,
    inventory: {
      refresh: async () => {
        harness.refreshes += 1;
        await provider.refresh();
      },
      current: () => provider.current(),
    },
    content: chainHandlers([generated, staticFileHandler(root)]),
    recorder,
    metrics,
    activeTransfers: harness.activeTransfers,
    ...(rogueServers ? { rogueServers } : {}),
  });
  return harness;
}
