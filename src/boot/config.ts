/**
 * The `inventory` config section: profiles, hosts and groups (schemas in `model.ts`, shared with the
 * store and the API), what unknown machines get, the user template directory and the settings of
 * `xenboot domu-config`. Cross-field rules (missing profiles, duplicate MAC/UUID/IP, ambiguous
 * selectors, pypxeboot-unsafe domU arguments) are registered as config checks from `checks.ts`.
 */
import { Type, type Static } from '@sinclair/typebox';
import { registerConfigCheck } from '../config/checks.js';
import { StrictObject } from '../config/types.js';
import { inventoryProblems } from './checks.js';
import { GroupSchema, HostSchema, ProfileSchema, UnknownPolicySchema } from './model.js';

/** Settings of `xenboot domu-config`. */
export const DomuConfigSchema = StrictObject(
  {
    outDir: Type.String({ default: '/etc/xen', description: 'where `xenboot domu-config` writes one xl config per domU, named after it' }),
    server: Type.Optional(Type.String({ pattern: '^https?://', description: 'xenboot URL passed to xenboot-pvboot (default: http.publicUrl)' })),
  },
  { description: 'xl domU config generation' },
);

/** The `inventory` section. */
export const InventoryConfigSchema = StrictObject(
  {
    profiles: Type.Array(ProfileSchema, { default: [] }),
    hosts: Type.Array(HostSchema, { default: [] }),
    groups: Type.Array(GroupSchema, { default: [] }),
    unknown: Type.Object(UnknownPolicySchema.properties, { additionalProperties: false, default: {} }),
    templateDir: Type.Optional(Type.String({ description: 'directory of user templates overriding the built-in ones (relative to the config file)' })),
    domu: Type.Object(DomuConfigSchema.properties, { additionalProperties: false, default: {} }),
  },
  { description: 'Machines and what they boot' },
);

/** The validated `inventory` section. */
export type InventoryConfig = Static<typeof InventoryConfigSchema>;

registerConfigCheck((config) => inventoryProblems(config.inventory, 'inventory'));
