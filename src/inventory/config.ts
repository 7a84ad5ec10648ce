/**
 * The `inventory` config section: profiles, hosts and groups (schemas in `model.ts`, shared with the
 * store and the API), what unknown machines get, the user template directory and the settings of
 * `xenboot domu-config`. Cross-field rules (missing profiles, duplicate MAC/UUID/IP, ambiguous
 * selectors, pypxeboot-unsafe domU arguments) are `inventoryConfigProblems`, which the config loader's
 * list of checks (`config/checks.ts`) runs.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { inventoryProblems, type InventoryProblem } from './checks.js';
import { GroupSchema, HostSchema, ProfileSchema, UnknownPolicySchema } from './model.js';

/** An object schema that rejects unknown keys, so a typo in the section is reported instead of ignored. */
function StrictObject<T extends Record<string, TSchema>>(properties: T, options: { description?: string } = {}) {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

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

/** The section's cross-field problems, with paths as the config file spells them (`inventory.hosts[2].mac`). */
export function inventoryConfigProblems(section: InventoryConfig): InventoryProblem[] {
  return inventoryProblems(section, 'inventory');
}
