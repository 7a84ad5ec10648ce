/**
 * Small schema building blocks shared by every config section.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import './formats.js';

/** A dotted-quad IPv4 address. */
export const Ipv4 = Type.String({ format: 'ipv4', description: 'IPv4 address, e.g. 10.0.0.1' });

/** A MAC address in any common spelling; normalised to `aa:bb:cc:dd:ee:ff` by the code that reads it. */
export const MacText = Type.String({ format: 'mac', description: 'MAC address, any case, `:`/`-`/no separators' });

/** A network in CIDR form. */
export const CidrText = Type.String({ format: 'cidr', description: 'network, e.g. 10.0.0.0/24' });

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
