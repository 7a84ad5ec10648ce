/**
 * Small schema building blocks shared by every config section.
 */
import { Type, type TSchema } from '@sinclair/typebox';

/** The network identifiers' schemas (defined with their formats in `net/schema.ts`). */
export { CidrText, Ipv4, MacText } from '../net/schema.js';

/** A UDP/TCP port number. */
export const Port = Type.Integer({ minimum: 1, maximum: 65535 });

/** An object schema that rejects unknown keys, so typos in the config file are reported instead of ignored. */
export function StrictObject<T extends Record<string, TSchema>>(properties: T, options: { description?: string } = {}) {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

/** One problem found in a config file: where it is (`dhcp.range[1]`) and what is wrong with it. */
export interface ConfigProblem {
  path: string;
  message: string;
}
