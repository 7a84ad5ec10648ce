/**
 * Assembles the boot side of a running xenboot: the template set (built-in + user directory, compiled
 * at start), the renderer, the inventory provider (config file + store) and the generated-files content
 * handler. `services.ts`, the HTTP boot routes and the `explain` command all build it the same way.
 */
import { resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import type { Config } from '../config/schema.js';
import type { ContentHandler } from '../content/types.js';
import type { Logger } from '../log.js';
import type { LeaseStore, Store } from '../store/types.js';
import { createGeneratedFilesHandler } from './generated-files.js';
import type { InventoryDocuments } from '../inventory/model.js';
import { InventoryProvider } from '../inventory/snapshot.js';
import { GroupSchema, HostSchema, ProfileSchema, type Group, type Host, type Profile } from '../inventory/model.js';
import { BootRenderer } from './render.js';
import { TemplateSet } from './templates.js';

/** The boot inventory and rendering of one running instance. */
export interface BootService {
  provider: InventoryProvider;
  renderer: BootRenderer;
  /** Generated files for the content chain (put it before static files). */
  contentHandler: ContentHandler;
  /** A dynamic lease's MAC for an address (hex-IP names), when a lease store is available. */
  macForIp?: (ip: string) => Promise<string | null>;
}

/** The inventory part of a loaded config. */
export function inventoryInputFromConfig(config: Config): InventoryDocuments {
  const inv = config.inventory;
  return { profiles: inv.profiles, hosts: inv.hosts, groups: inv.groups, unknown: inv.unknown };
}

/** Loads the templates named by the config; throws `TemplateError` for a broken or missing template. */
export function loadTemplates(config: Config): TemplateSet {
  const dir = config.inventory.templateDir;
  return TemplateSet.load(dir === undefined ? undefined : resolve(config.baseDir, dir));
}

/** Reads the store's inventory documents, skipping (and logging) any that no longer validate. */
export function storeInventoryLoader(store: Store, logger?: Logger): () => Promise<InventoryDocuments> {
  const valid = <T>(schema: Parameters<typeof Value.Check>[0], docs: unknown[], kind: string): T[] =>
    docs.flatMap((doc) => {
      const value = Value.Default(schema, structuredClone(doc));
      if (Value.Check(schema, value)) return [value as T];
      logger?.warn({ kind, doc }, 'stored inventory document does not validate; ignored');
      return [];
    });
  return async () => ({
    profiles: valid<Profile>(ProfileSchema, await store.inventory.list('profiles'), 'profiles'),
    hosts: valid<Host>(HostSchema, await store.inventory.list('hosts'), 'hosts'),
    groups: valid<Group>(GroupSchema, await store.inventory.list('groups'), 'groups'),
  });
}

/** Maps a leased address to its MAC (bound or offered and not expired). */
export function leaseMacLookup(leases: LeaseStore, now: () => number = Date.now): (ip: string) => Promise<string | null> {
  return async (ip) => {
    const lease = await leases.getLeaseByIp(ip);
    if (!lease || (lease.state !== 'bound' && lease.state !== 'offered') || lease.expiresAt <= now()) return null;
    return lease.mac;
  };
}

/** Builds the boot service; with a store, loads its inventory before returning. */
export async function createBootService(config: Config, options: { logger?: Logger; store?: Store } = {}): Promise<BootService> {
  const templates = loadTemplates(config);
  const renderer = new BootRenderer(templates, { address: config.server.address, publicUrl: config.http.publicUrl });
  const provider = new InventoryProvider(
    inventoryInputFromConfig(config),
    options.store ? storeInventoryLoader(options.store, options.logger) : undefined,
  );
  await provider.refresh();
  const macForIp = options.store ? leaseMacLookup(options.store.leases) : undefined;
  const contentHandler = createGeneratedFilesHandler({
    provider,
    renderer,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(macForIp ? { macForIp } : {}),
  });
  return { provider, renderer, contentHandler, ...(macForIp ? { macForIp } : {}) };
}
