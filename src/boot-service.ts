/**
 * Assembles the boot service of a running xenboot from its config and its store: the template set
 * (built-in + the configured directory, compiled at start), the config file's inventory, the store's
 * inventory documents and the lease lookup for names that carry an address. `services.ts`, the CLI
 * commands and the test harness build it the same way; `src/boot/` itself knows neither config nor store.
 */
import { resolve } from 'node:path';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import type { Config } from './config/schema.js';
import type { Logger } from './log.js';
import type { LeaseStore, Store } from './store/types.js';
import type { ContentHandler } from './content/types.js';
import { createBootService, type BootService } from './boot/service.js';
import { TemplateSet } from './boot/templates.js';
import { GroupSchema, HostSchema, ProfileSchema, type Group, type Host, type InventoryDocuments, type Profile } from './inventory/model.js';

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

/**
 * Reads the store's inventory documents, skipping (and logging) any that no longer validate. The store
 * parses each row afresh, so defaults are filled into those objects in place; the checks are compiled once
 * (at 100,000 hosts a read is dominated by them).
 */
export function storeInventoryLoader(store: Store, logger?: Logger): () => Promise<InventoryDocuments> {
  const checks = { profiles: TypeCompiler.Compile(ProfileSchema), hosts: TypeCompiler.Compile(HostSchema), groups: TypeCompiler.Compile(GroupSchema) };
  const valid = <T>(kind: keyof typeof checks, docs: unknown[]): T[] => {
    const check = checks[kind];
    const schema = check.Schema();
    return docs.flatMap((doc) => {
      const value = Value.Default(schema, doc);
      if (check.Check(value)) return [value as T];
      logger?.warn({ kind, doc }, 'stored inventory document does not validate; ignored');
      return [];
    });
  };
  return async () => ({
    profiles: valid<Profile>('profiles', await store.inventory.list('profiles')),
    hosts: valid<Host>('hosts', await store.inventory.list('hosts')),
    groups: valid<Group>('groups', await store.inventory.list('groups')),
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

/** Builds the boot service of `config`; with a store, its inventory documents and leases take part. */
export async function bootServiceFromConfig(config: Config, options: { logger?: Logger; store?: Store } = {}): Promise<BootService> {
  return createBootService({
    templates: loadTemplates(config),
    address: config.server.address,
    publicUrl: config.http.publicUrl,
    networkUrls: config.http.networkUrls,
    configured: inventoryInputFromConfig(config),
    ...(options.store ? { loadStored: storeInventoryLoader(options.store, options.logger), storedRevision: () => options.store!.inventory.revision(), macForIp: leaseMacLookup(options.store.leases) } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
}

/** A path's size as `content` serves it (what a boot client would download), or null when it has none. */
export function contentFileSize(content: ContentHandler): (path: string) => Promise<number | null> {
  return async (path) => {
    try {
      const found = await content({ path, rawPath: path, protocol: 'http', clientIp: '127.0.0.1', clientPort: 0, serverIp: '127.0.0.1' });
      if (found === null) return null;
      await found.close();
      return found.size;
    } catch {
      return null;
    }
  };
}
