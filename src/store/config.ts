/**
 * Schema of the `store` config section.
 */
import { Type, type Static } from '@sinclair/typebox';
import { StrictObject, type ConfigProblem } from '../config/types.js';

/** Retention of the boot timeline: events are pruned by age and, per machine, by count. */
export const EventRetentionSchema = StrictObject(
  {
    maxAgeHours: Type.Number({ exclusiveMinimum: 0, default: 168, description: 'events older than this are deleted' }),
    maxPerMachine: Type.Integer({ minimum: 1, default: 1000, description: 'newest events kept per MAC (or per IP when the MAC is unknown)' }),
    pruneIntervalSeconds: Type.Integer({ minimum: 1, default: 60, description: 'how often retention runs' }),
  },
  { description: 'Boot event retention' },
);

/** The `store` section: where leases, hosts, profiles and events live. */
export const StoreConfigSchema = StrictObject(
  {
    kind: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres'), Type.Literal('memory')], { default: 'sqlite' }),
    path: Type.String({ default: 'var/xenboot.db', description: 'SQLite file; relative to the config file' }),
    url: Type.Optional(Type.String({ pattern: '^postgres(ql)?://', description: 'PostgreSQL connection URL (kind: postgres)' })),
    schema: Type.String({ pattern: '^[a-z_][a-z0-9_]{0,62}$', default: 'public', description: 'PostgreSQL schema for xenboot’s tables (created if missing)' }),
    durability: Type.Union([Type.Literal('process'), Type.Literal('power')], {
      default: 'process',
      description:
        'when a lease counts as committed (an ACK leaves only after): process = survives kill -9 of xenboot (SQLite synchronous=NORMAL, PostgreSQL synchronous_commit=off); power = survives a power cut (synchronous=FULL, synchronous_commit=on)',
    }),
    poolSize: Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'PostgreSQL connections per instance' }),
    events: Type.Optional(EventRetentionSchema),
    pollSeconds: Type.Number({
      minimum: 0,
      default: 5,
      description: 'how often to look for inventory changes made by other instances sharing the store (0: never)',
    }),
  },
  { description: 'State store' },
);

/** The validated `store` section. */
export type StoreConfig = Static<typeof StoreConfigSchema>;

/** The retention settings with defaults applied (the section may omit `events`). */
export type EventRetention = Static<typeof EventRetentionSchema>;

/** Defaults for `store.events`. */
export const defaultEventRetention: EventRetention = { maxAgeHours: 168, maxPerMachine: 1000, pruneIntervalSeconds: 60 };

/** Cross-field checks of the `store` section: PostgreSQL needs a URL. */
export function storeConfigProblems(store: StoreConfig): ConfigProblem[] {
  return store.kind === 'postgres' && store.url === undefined ? [{ path: 'store.url', message: 'is required when store.kind is postgres' }] : [];
}
