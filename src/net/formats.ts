/**
 * String formats used by the config and API schemas, registered once with TypeBox's format registry.
 * Fastify's Ajv validator gets the same checks through `ajvFormats` so both paths agree.
 */
import { FormatRegistry } from '@sinclair/typebox';
import { isIpv4, parseCidr } from './ipv4.js';
import { isMac } from './mac.js';
import { parseUuid } from './uuid.js';

/** Format name → predicate, for every custom format the schemas use. */
export const formatChecks: Readonly<Record<string, (value: string) => boolean>> = {
  ipv4: isIpv4,
  cidr: (v) => parseCidr(v) !== null,
  mac: isMac,
  uuid: (v) => parseUuid(v) !== null,
};

/** Human wording of each format, used in config error messages (`… is not an IPv4 address`). */
export const formatNames: Readonly<Record<string, string>> = {
  ipv4: 'an IPv4 address',
  cidr: 'a network in a.b.c.d/n form',
  mac: 'a MAC address',
  uuid: 'a UUID',
};

for (const [name, check] of Object.entries(formatChecks)) {
  if (!FormatRegistry.Has(name)) FormatRegistry.Set(name, check);
}
