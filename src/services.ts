/**
 * Starts and stops everything a running xenboot owns, in dependency order: the store, the boot inventory,
 * the content handler chain (generated files, then static files), then the HTTP, TFTP and DHCP servers,
 * all sharing one event bus. `cli.ts` calls `startServices` and, on a signal, `close`.
 */
import { createServer as createHttpServer } from 'node:http';
import type { Config } from './config/schema.js';
import type { ContentHandler } from './content/types.js';
import type { InventoryDocuments } from './inventory/model.js';
import { bootServiceFromConfig, contentFileSize, inventoryInputFromConfig, loadTemplates } from './boot-service.js';
import type { TemplateSet } from './boot/templates.js';
import { explainDepsFor } from './explain/deps.js';
import { chainHandlers } from './content/chain.js';
import { staticFileHandler } from './content/static-files.js';
import { createInventoryBooter } from './boot/inventory-booter.js';
import { pypxebootGuard } from './boot/pypxeboot-guard.js';
import { createConfigBooter } from './dhcp/config-booter.js';
import { dhcpBootFileChooser } from './boot/loaders/index.js';
import { startDhcpServer } from './dhcp/server.js';
import { RogueWatch } from './dhcp/rogue-watch.js';
import { EventBus } from './timeline/bus.js';
import { buildApp } from './http/app.js';
import { bootRoutes } from './http/routes/boot.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics/metrics.js';
import type { PoolStatsSource } from './metrics/pool-stats.js';
import type { HaReport, ServerCounters } from './metrics/metrics.js';
import { StoreWriteHealth } from './metrics/store-health.js';
import { defaultEventRetention } from './store/config.js';
import { EventEnricher } from './timeline/enricher.js';
import { EventRecorder } from './timeline/recorder.js';
import { ActiveTransfers } from './timeline/active-transfers.js';
import { openStore } from './store/open.js';
import { watchInventoryRevision } from './store/revision-watcher.js';
import type { Store } from './store/types.js';
import { TftpServer } from './tftp/server.js';
import { dropPrivileges } from './privileges.js';
import { LifecycleService } from './lifecycle/service.js';
import { resolve } from 'node:path';

/** A listening endpoint, for logs and tests. */
export interface Endpoint {
  protocol: 'tftp' | 'http' | 'dhcp';
  address: string;
  port: number;
}

/** The running services. */
export interface Services {
  readonly endpoints: Endpoint[];
  readonly events: EventBus;
  /** Leases, inventory and the event timeline. */
  readonly store: Store;
  /** Prometheus metrics of this instance. */
  readonly metrics: Metrics;
  /**
   * Replaces the config file's inventory and the templates (SIGHUP) with those of `next`; takes effect
   * at once for DHCP, TFTP and HTTP. The templates are compiled first: a broken or missing template
   * throws `TemplateError` and nothing changes. Other sections need a restart; their names are returned
   * when they differ.
   */
  reloadInventory(next: Config): string[];
  /** Stops every service; safe to call more than once. */
  close(): Promise<void>;
}

/** Starts every enabled service. If one fails to start, the ones already started are stopped again. */
export async function startServices(config: Config, logger: Logger): Promise<Services> {
  const events = new EventBus();
  const endpoints: Endpoint[] = [];
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        logger.warn({ err: error }, 'error while stopping a service');
      }
    }
  };

  let store!: Store;
  // Bound once the boot inventory exists; used by event enrichment, metrics, the API and SIGHUP.
  let hostMacByIp: (ip: string) => string | undefined = () => undefined;
  let profileOf: (mac: string) => string | undefined = () => undefined;
  let setConfigInventory: (next: Config, templates: TemplateSet) => void = () => {};
  let configInventory: InventoryDocuments = config.inventory;
  // The DHCP server's pool usage for /metrics; bound in the DHCP slot when DHCP runs.
  let dhcpPoolStats: PoolStatsSource | undefined;
  // The two-instance mode's state for /metrics; bound in the DHCP slot when `dhcp.ha` runs.
  let dhcpHaReport: () => HaReport | null = () => null;
  // Drop and failure totals of the servers, bound as each starts.
  const counters: ServerCounters = {};
  const storeWrites = new StoreWriteHealth();
  // Transfers running now, reported by TFTP and the HTTP file route (the console's Overview).
  const activeTransfers = new ActiveTransfers();
  // Other DHCP servers on the boot network: watched through the DHCP server's sockets (and its own, see
  // dhcp/rogue-watch.ts); built now so the API and metrics can read it, started with DHCP.
  const rogue =
    config.dhcp.mode === 'off'
      ? null
      : new RogueWatch({
          config: withHaPeersAllowed(config),
          serverAddress: config.server.address,
          networkAddresses: config.dhcp.networks.map((n) => n.serverAddress),
          events,
          logger: logger.child({ subsystem: 'dhcp' }),
        });
  const metrics = new Metrics({
    poolStats: () => dhcpPoolStats?.() ?? [],
    profileOf: (mac) => profileOf(mac),
    counters: () => ({ ...counters, storeWriteFailures: storeWrites.failures }),
    rogueServers: () => rogue?.report().servers ?? [],
    ha: () => dhcpHaReport(),
  });
  try {
    // --- store ---------------------------------------------------------------------------------
    const rawStore = await openStore(config.store, logger);
    closers.push(() => rawStore.close());
    // Lease and event writes report to `storeWrites`: /readyz fails while the store refuses them.
    const openedStore = storeWrites.track(rawStore);
    store = openedStore;
    closers.push(watchStore(openedStore, storeWrites, logger.child({ subsystem: 'store' })));
    // Boot events: given a MAC where possible, persisted with retention, counted in the metrics.
    const recorder = new EventRecorder({
      bus: events,
      events: openedStore.events,
      enricher: new EventEnricher({ leases: openedStore.leases, hostMacByIp: (ip) => hostMacByIp(ip) }),
      retention: config.store.events ?? defaultEventRetention,
      logger: logger.child({ subsystem: 'store' }),
    });
    recorder.subscribe((event) => metrics.observeEvent(event));
    recorder.start();
    closers.push(() => recorder.close());

    // --- boot inventory and booter ----------------------------------------------------------------
    // Templates are compiled here, so a broken template stops the start instead of failing a client.
    const boot = await bootServiceFromConfig(config, { logger: logger.child({ subsystem: 'boot' }), store });

    // --- boot lifecycle: next-boot overrides for the boot path, evidence from the recorded timeline ------
    const lifecycle = new LifecycleService({
      store: store.lifecycle,
      profile: (name) => boot.provider.current().profile(name),
      isHost: (mac) => boot.provider.current().hostByMac(mac) !== undefined,
      applyOverrides: (overrides) => boot.provider.setOverrides(overrides),
      publicUrl: config.http.publicUrl,
      logger: logger.child({ subsystem: 'lifecycle' }),
      // Other instances (PostgreSQL, or processes sharing a SQLite file) change records too: follow them.
      pollMs: config.store.pollSeconds * 1000,
      onAudit: (event) => recorder.announce(event),
    });
    await lifecycle.start();
    closers.push(async () => lifecycle.stop());
    recorder.subscribe((event) => lifecycle.observe(event));

    // --- content: generated handlers first, static files from the TFTP root last ------------------
    const contentHandlers: ContentHandler[] = [boot.contentHandler];
    // One chain for TFTP and HTTP, so both protocols serve exactly the same names; over TFTP no PXELINUX
    // file pypxeboot would crash on reaches a domU, whichever handler answered (boot/pypxeboot-guard.ts).
    const content = pypxebootGuard(chainHandlers([...contentHandlers, staticFileHandler(config.tftp.root)]), {
      inventory: () => boot.provider.current(),
      logger: logger.child({ subsystem: 'boot' }),
      ...(boot.macForIp ? { macForIp: boot.macForIp } : {}),
    });

    // --- HTTP --------------------------------------------------------------------------------------
    hostMacByIp = (ip) => boot.provider.current().hostByIp(ip)?.mac;
    profileOf = (mac) => boot.provider.current().hostByMac(mac)?.profile?.name;
    setConfigInventory = (next, templates) => {
      boot.renderer.replaceTemplates(templates);
      boot.provider.setConfig(inventoryInputFromConfig(next));
      configInventory = next.inventory;
    };
    if (config.store.pollSeconds > 0) {
      // Other instances sharing the store change the inventory too: follow their changes.
      const provider = boot.provider;
      const stopWatching = watchInventoryRevision({ inventory: store.inventory, intervalMs: config.store.pollSeconds * 1000, onChange: () => provider.refresh(), isCurrent: (revision) => provider.reflects(revision), logger });
      closers.push(async () => stopWatching());
    }
    if (config.http.enabled) {
      const app = await buildApp({
        config,
        logger,
        events,
        store,
        inventory: boot.provider,
        configInventory: () => configInventory,
        content,
        recorder,
        metrics,
        storeWrites,
        activeTransfers,
        lifecycle: {
          lifecycle,
          power: {
            ...(config.power?.secretsFile !== undefined ? { secretsFile: config.power.secretsFile } : {}),
            limits: { timeoutMs: (config.power?.timeoutSeconds ?? 10) * 1000, retries: config.power?.retries ?? 2 },
          },
          resolvePath: (path) => resolve(config.baseDir, path),
        },
        rogueServers: () => rogue?.report() ?? null,
        extraRoutes: (routes) => bootRoutes(routes, { boot, content, explainDeps: () => explainDepsFor(config, boot, contentFileSize(content)) }),
      });
      const [first = config.http.address, ...others] = config.http.addresses;
      await app.listen({ host: first, port: config.http.port });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.http.port;
      endpoints.push({ protocol: 'http', address: first, port });
      closers.push(() => app.close());
      // The other boot networks' addresses: more listeners in front of the same app (`app.routing` is
      // the handler fastify's own server runs), on the same port.
      for (const other of others) {
        const server = createHttpServer(app.routing);
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host: other, port }, () => {
            server.off('error', reject);
            resolve();
          });
        });
        endpoints.push({ protocol: 'http', address: other, port });
        closers.push(() => new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }));
      }
    }

    // --- TFTP --------------------------------------------------------------------------------------
    if (config.tftp.enabled) {
      const tftp = new TftpServer({
        settings: config.tftp,
        content,
        logger,
        events,
        progress: activeTransfers,
      });
      if (tftp.engineFallback !== null) logger.warn({ subsystem: 'tftp', reason: tftp.engineFallback }, 'TFTP transfers use node:dgram: the native UDP engine is not available');
      else logger.info({ subsystem: 'tftp', engine: tftp.engine }, `TFTP transfers use the ${tftp.engine} UDP engine`);
      closers.push(() => tftp.close());
      counters.tftp = tftp.stats;
      for (const address of config.tftp.addresses) {
        const bound = await tftp.listen(address, config.tftp.port);
        endpoints.push({ protocol: 'tftp', address: bound.address, port: bound.port });
      }
    }

    // --- DHCP --------------------------------------------------------------------------------------
    if (config.dhcp.mode !== 'off') {
      const dhcp = await startDhcpServer({
        config: config.dhcp,
        serverAddress: config.server.address,
        booter: createInventoryBooter(boot.provider, createConfigBooter(config.dhcp, { bootFile: dhcpBootFileChooser(config.dhcp.boot, boot.publicUrls) }), boot.publicUrls),
        store: store.leases,
        sharedStore: store.backend === 'postgres',
        ...(store.heartbeats ? { heartbeats: store.heartbeats } : {}),
        reservedMacOf: (ip) => boot.provider.current().hostByIp(ip)?.mac,
        events,
        logger: logger.child({ subsystem: 'dhcp' }),
        ...(rogue ? { watch: rogue } : {}),
      });
      closers.push(() => dhcp.close());
      if (rogue) {
        await rogue.start(dhcp.port);
        closers.push(() => rogue.close());
      }
      dhcpPoolStats = () => dhcp.poolStats();
      counters.dhcp = dhcp.stats;
      const ha = dhcp.ha;
      if (ha)
        dhcpHaReport = () => {
          const { takeovers, handbacks, heartbeatFailures, peersRequests, fenced } = ha.stats;
          return { ...ha.status(), takeovers, handbacks, heartbeatFailures, peersRequests, fencedRequests: fenced, kernelFilter: dhcp.peerFilterInKernel };
        };
      endpoints.push({ protocol: 'dhcp', address: '0.0.0.0', port: dhcp.port });
      if (dhcp.proxyPort !== null) endpoints.push({ protocol: 'dhcp', address: config.server.address, port: dhcp.proxyPort });
    }
    // --- privileges: every port is bound; root is not needed any more ----------------------------------
    const drop: { user?: string; group?: string; sqlitePath?: string } = {};
    if (config.server.user !== undefined) drop.user = config.server.user;
    if (config.server.group !== undefined) drop.group = config.server.group;
    if (config.store.kind === 'sqlite' && config.store.path !== ':memory:') drop.sqlitePath = config.store.path;
    dropPrivileges(drop, logger);
  } catch (error) {
    await closeAll();
    throw error;
  }

  let closed = false;
  return {
    endpoints,
    events,
    store,
    metrics,
    reloadInventory(next) {
      // Compiled before anything is replaced, so a broken template leaves the running set and inventory.
      setConfigInventory(next, loadTemplates(next));
      return (['server', 'log', 'tftp', 'dhcp', 'http', 'store'] as const).filter((s) => JSON.stringify(next[s]) !== JSON.stringify(config[s]));
    },
    async close() {
      if (closed) return;
      closed = true;
      await closeAll();
    },
  };
}

/** The rogue-detection settings, with the other instances of the two-instance mode (`dhcp.ha`) among the allowed servers. */
function withHaPeersAllowed(config: Config): Config['dhcp']['rogueDetection'] {
  const detection = config.dhcp.rogueDetection;
  const peers = (config.dhcp.ha?.peers ?? []).map((p) => p.address).filter((a) => a !== config.server.address && !detection.allowedServers.includes(a));
  return peers.length === 0 ? detection : { ...detection, allowedServers: [...detection.allowedServers, ...peers] };
}

/** How often the store is checked between scrapes (a deleted SQLite file, an outage, refused writes). */
const STORE_CHECK_MS = 10_000;

/**
 * Checks the store every `STORE_CHECK_MS` and logs at error level when it stops answering, its file is
 * gone, or its writes fail, and at info level when it recovers (one line per change, not per check).
 * Returns the function that stops the checks.
 */
function watchStore(store: Store, writes: StoreWriteHealth, logger: Logger): () => Promise<void> {
  let problem: string | null = null;
  const check = async () => {
    let now: string | null = null;
    try {
      await store.ping();
      now = writes.problem();
    } catch (error) {
      now = (error as Error).message;
    }
    if (now !== null && now !== problem) logger.error({ backend: store.backend, problem: now }, 'STORE FAILING: leases and events are not being saved');
    else if (now === null && problem !== null) logger.info({ backend: store.backend }, 'store recovered');
    problem = now;
  };
  const timer = setInterval(() => void check(), STORE_CHECK_MS);
  timer.unref();
  return async () => clearInterval(timer);
}
