/**
 * Schema of the boot inventory in the config file: profiles, hosts and groups.
 */
import { Type, type Static } from '@sinclair/typebox';
import { StrictObject } from '../config/types.js';

/** The `inventory` section. */
export const InventoryConfigSchema = StrictObject(
  {
    profiles: Type.Array(Type.Unknown(), { default: [] }),
    hosts: Type.Array(Type.Unknown(), { default: [] }),
    groups: Type.Array(Type.Unknown(), { default: [] }),
  },
  { description: 'Machines and what they boot' },
);

/** The validated `inventory` section. */
export type InventoryConfig = Static<typeof InventoryConfigSchema>;
