/**
 * Schema of the `power` config section: where BMC credentials come from and how long a BMC may take.
 * The credentials themselves are never in the config file.
 */
import { Type, type Static } from '@sinclair/typebox';
import { StrictObject } from '../config/types.js';

/** The `power` section. */
export const PowerConfigSchema = StrictObject(
  {
    secretsFile: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'JSON file of BMC credentials by name ({"name": {"username": …, "password": …}}), relative to the config file; the environment (XENBOOT_BMC_<NAME>_USERNAME / _PASSWORD) is read too',
      }),
    ),
    timeoutSeconds: Type.Number({ exclusiveMinimum: 0, maximum: 120, default: 10, description: 'time limit of one BMC request' }),
    retries: Type.Integer({ minimum: 0, maximum: 5, default: 2, description: 'further attempts after a BMC did not answer (never after a refusal)' }),
  },
  { description: 'Power control through BMCs (IPMI, Redfish)' },
);

/** The validated `power` section. */
export type PowerConfig = Static<typeof PowerConfigSchema>;
