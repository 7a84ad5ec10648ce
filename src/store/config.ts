/**
 * Schema of the `store` config section.
 */
import { Type, type Static } from '@sinclair/typebox';
import { StrictObject } from '../config/types.js';

/** The `store` section: where leases, hosts, profiles and events live. */
export const StoreConfigSchema = StrictObject(
  {
    kind: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres'), Type.Literal('memory')], { default: 'sqlite' }),
    path: Type.String({ default: 'var/xenboot.db', description: 'SQLite file; relative to the config file' }),
    url: Type.Optional(Type.String({ pattern: '^postgres(ql)?://', description: 'PostgreSQL connection URL (kind: postgres)' })),
  },
  { description: 'State store' },
);

/** The validated `store` section. */
export type StoreConfig = Static<typeof StoreConfigSchema>;
