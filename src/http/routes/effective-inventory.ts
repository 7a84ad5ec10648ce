/**
 * `GET /api/v1/inventory`: the inventory the boot path uses now, the config file's part merged with the
 * store's, each entry marked with where it comes from, and each host with the profile it was given and
 * why (its own `profile`, a group, or none). Read-only; for operators checking what a change did.
 */
import type { FastifyInstance } from 'fastify';
import type { Inventory } from '../../inventory/snapshot.js';
import type { Store } from '../../store/types.js';

/** Registers the route; `current` returns the live inventory snapshot. */
export function registerEffectiveInventoryRoute(app: FastifyInstance, store: Store, current: () => Inventory): void {
  app.get(
    '/api/v1/inventory',
    { schema: { tags: ['inventory'], summary: 'The inventory in effect: config file and store merged, with sources and profile choices' } },
    async () => {
      const inventory = current();
      const [hostKeys, profileKeys, groupKeys] = await Promise.all(
        (['hosts', 'profiles', 'groups'] as const).map(async (kind) => {
          const docs = await store.inventory.list(kind);
          return new Set(docs.map((d) => String(kind === 'hosts' ? d.mac : d.name)));
        }),
      );
      const source = (keys: Set<string>, key: string) => (keys.has(key) ? 'store' : 'config');
      return {
        profiles: inventory.profiles().map((p) => ({ ...p, source: source(profileKeys!, p.name) })),
        groups: inventory.groups().map((g) => ({ ...g, source: source(groupKeys!, g.name) })),
        hosts: inventory.hosts().map((h) => ({
          mac: h.mac,
          ...(h.hostname !== undefined ? { hostname: h.hostname } : {}),
          ...(h.ip !== undefined ? { ip: h.ip } : {}),
          ...(h.uuid !== undefined ? { uuid: h.uuid } : {}),
          labels: h.labels,
          profile: h.profile?.name ?? null,
          profileFrom: h.profileSource.from === 'group' ? `group ${h.profileSource.group}` : h.profileSource.from,
          groups: h.groups.map((g) => g.name),
          source: source(hostKeys!, h.mac),
        })),
        unknown: inventory.unknown,
      };
    },
  );
}
