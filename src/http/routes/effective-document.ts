/**
 * `GET /api/v1/inventory/{profiles,groups,hosts}/:key`: one document of the inventory in effect, wherever
 * it lives, with `source` saying where: `config` (the config file, read-only through the API) or `store`
 * (created through the API; it overrides a config document with the same key). `GET /api/v1/profiles/:name`
 * reads the store only, so a profile from the config file is a 404 there and found here.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Inventory } from '../../inventory/snapshot.js';
import { parseMac } from '../../net/mac.js';
import type { InventoryKind, Store } from '../../store/types.js';
import { ApiError } from '../errors.js';

/** Registers the three routes. */
export function registerEffectiveDocumentRoutes(app: FastifyInstance, store: Store, current: () => Inventory): void {
  const find: Record<InventoryKind, (inventory: Inventory, key: string) => object | undefined> = {
    profiles: (inventory, name) => inventory.profile(name),
    groups: (inventory, name) => inventory.groups().find((g) => g.name === name),
    hosts: (inventory, mac) => {
      const host = inventory.hostByMac(mac);
      if (!host) return undefined;
      return {
        mac: host.mac,
        ...(host.hostname !== undefined ? { hostname: host.hostname } : {}),
        ...(host.ip !== undefined ? { ip: host.ip } : {}),
        ...(host.uuid !== undefined ? { uuid: host.uuid } : {}),
        labels: host.labels,
        profile: host.profile?.name ?? null,
        profileFrom: host.profileSource.from === 'group' ? `group ${host.profileSource.group}` : host.profileSource.from,
      };
    },
  };
  for (const kind of ['profiles', 'groups', 'hosts'] as const) {
    const keyName = kind === 'hosts' ? 'mac' : 'name';
    app.get<{ Params: { key: string } }>(
      `/api/v1/inventory/${kind}/:key`,
      {
        schema: { tags: ['inventory'], summary: `One ${kind.slice(0, -1)} in effect, from the config file or the store, with its source`, params: Type.Object({ key: Type.String() }) },
      },
      async (request) => {
        let key = request.params.key;
        if (kind === 'hosts') {
          const mac = parseMac(key);
          if (mac === null) throw new ApiError('validation', `${key} is not a MAC address`, 'params.key');
          key = mac;
        }
        const doc = find[kind](current(), key);
        if (doc === undefined) throw new ApiError('not-found', `no ${kind.slice(0, -1)} ${key} in the config file or the store`, 'params.key');
        const stored = await store.inventory.get(kind, key);
        return { ...doc, [keyName]: key, source: stored === null ? 'config' : 'store' };
      },
    );
  }
}
