/**
 * TypeBox schemas of the network identifiers (IPv4 address, MAC, CIDR network) that the config file, the
 * inventory and the API all validate. Importing this module registers their string formats (`formats.ts`),
 * so a schema built from these blocks can be checked anywhere without a separate setup step.
 */
import { Type } from '@sinclair/typebox';
import './formats.js';

/** A dotted-quad IPv4 address. */
export const Ipv4 = Type.String({ format: 'ipv4', description: 'IPv4 address, e.g. 10.0.0.1' });

/** A MAC address in any common spelling; normalised to `aa:bb:cc:dd:ee:ff` by the code that reads it. */
export const MacText = Type.String({ format: 'mac', description: 'MAC address, any case, `:`/`-`/no separators' });

/** A network in CIDR form. */
export const CidrText = Type.String({ format: 'cidr', description: 'network, e.g. 10.0.0.0/24' });
