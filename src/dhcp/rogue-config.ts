/**
 * Schema and cross-field checks of `dhcp.rogueDetection`: noticing other DHCP servers on the boot network
 * (`rogue-detection.ts` holds the rules, `rogue-watch.ts` the sockets, `rogue-probe.ts` the probe). The
 * section's defaults watch only what already reaches xenboot's own port 67; binding the client port 68
 * and probing are opt-in, because both touch the network beyond xenboot's own socket (docs/dhcp.md,
 * "Rogue DHCP detection").
 */
import { Type, type Static } from '@sinclair/typebox';
import type { ConfigProblem } from '../config/types.js';
import { Ipv4 } from '../config/types.js';
import { parseMac } from '../net/mac.js';

/** The reserved probe MAC when none is configured: locally administered (bit 1 of the first octet), unicast. */
export const DEFAULT_PROBE_MAC = '02:78:62:00:00:01';

/** The `dhcp.rogueDetection` block. */
export const RogueDetectionSchema = Type.Object(
  {
    passive: Type.Union([Type.Literal('off'), Type.Literal('server-port'), Type.Literal('client-port')], {
      default: 'server-port',
      description:
        'server-port: read what reaches port 67 anyway (clients choosing another server, relayed replies); ' +
        'client-port: also bind 0.0.0.0:68 to see broadcast OFFER/ACK/NAK of every server (may contend with a DHCP client on this host)',
    }),
    active: Type.Boolean({ default: false, description: 'send a DISCOVER from probeMac every intervalSeconds (never a REQUEST)' }),
    intervalSeconds: Type.Integer({ minimum: 5, maximum: 86_400, default: 300, description: 'seconds between probes' }),
    probeMac: Type.String({ format: 'mac', default: DEFAULT_PROBE_MAC, description: 'the chaddr of the probe: a locally administered unicast MAC no machine uses' }),
    allowedServers: Type.Array(Ipv4, { default: [], description: 'server identifiers (option 54) or addresses of DHCP servers that belong here' }),
  },
  { additionalProperties: false, default: {} },
);

/** The validated `dhcp.rogueDetection` block. */
export type RogueDetectionConfig = Static<typeof RogueDetectionSchema>;

/**
 * Every cross-field problem of `dhcp.rogueDetection`: a probe MAC that is not locally administered, is
 * multicast or is reserved for a machine; a listed server that is xenboot itself or listed twice; the
 * client port or the probe asked for while DHCP is off (they ride on the DHCP server's sockets).
 */
export function checkRogueDetection(
  detection: RogueDetectionConfig,
  context: { mode: string; serverAddress: string; reservedMacs: readonly string[] },
): ConfigProblem[] {
  const path = 'dhcp.rogueDetection';
  const problems: ConfigProblem[] = [];
  const mac = parseMac(detection.probeMac);
  if (mac === null) problems.push({ path: `${path}.probeMac`, message: `${JSON.stringify(detection.probeMac)} is not a MAC address` });
  else {
    const first = Number.parseInt(mac.slice(0, 2), 16);
    // IEEE 802: bit 0 of the first octet is the group (multicast) bit, bit 1 the locally administered bit.
    if ((first & 0x01) !== 0) problems.push({ path: `${path}.probeMac`, message: `${mac} is a multicast address; a DHCP client MAC is unicast` });
    if ((first & 0x02) === 0) {
      problems.push({ path: `${path}.probeMac`, message: `${mac} is a globally assigned (vendor) MAC; use a locally administered one (second-lowest bit of the first octet set, e.g. ${DEFAULT_PROBE_MAC})` });
    }
    const reserved = context.reservedMacs.findIndex((m) => parseMac(m) === mac);
    if (reserved >= 0) problems.push({ path: `${path}.probeMac`, message: `${mac} is reserved for a machine in dhcp.reservations[${reserved}]` });
  }
  const seen = new Map<string, number>();
  detection.allowedServers.forEach((server, i) => {
    if (server === context.serverAddress) problems.push({ path: `${path}.allowedServers[${i}]`, message: `${server} is xenboot's own server.address (never reported anyway)` });
    if (seen.has(server)) problems.push({ path: `${path}.allowedServers[${i}]`, message: `${server} is already listed in allowedServers[${seen.get(server)}]` });
    else seen.set(server, i);
  });
  if (context.mode === 'off') {
    if (detection.active) problems.push({ path: `${path}.active`, message: 'probing needs the DHCP server (dhcp.mode full or proxy): the answers arrive on its port' });
    if (detection.passive === 'client-port') problems.push({ path: `${path}.passive`, message: 'client-port needs the DHCP server (dhcp.mode full or proxy)' });
  }
  return problems;
}
