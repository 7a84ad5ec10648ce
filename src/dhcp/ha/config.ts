/**
 * Schema and cross-field checks of `dhcp.ha`: two (or more) xenboot instances on one network and one
 * PostgreSQL database, each answering the clients its RFC 3074 hash bucket gives it, taking over the
 * clients of a peer whose heartbeat stops. docs/dhcp.md ("Two instances") describes every key.
 */
import { Type, type Static } from '@sinclair/typebox';
import { StrictObject, type ConfigProblem } from '../../config/types.js';

/** An instance name: what the heartbeat row is keyed by and what logs say. */
const PeerName = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$', description: 'instance name' });

/** The `dhcp.ha` block. */
export const DhcpHaSchema = StrictObject(
  {
    self: PeerName,
    peers: Type.Array(PeerName, {
      minItems: 2,
      maxItems: 8,
      description: 'every instance, this one included, in the same order on all of them: clients of hash bucket b belong to peers[b mod n]',
    }),
    heartbeatSeconds: Type.Number({ minimum: 0.1, maximum: 60, default: 1, description: 'how often this instance writes its heartbeat and reads the others' }),
    takeoverSeconds: Type.Number({
      minimum: 0.3,
      maximum: 3600,
      default: 5,
      description: "a peer whose heartbeat has not moved for this long is down: its clients are answered by the others until it beats again",
    }),
  },
  { description: 'two-instance mode (load balancing and takeover through the shared PostgreSQL store)' },
);

/** The validated `dhcp.ha` block. */
export type DhcpHaConfig = Static<typeof DhcpHaSchema>;

/**
 * Every problem of `dhcp.ha` that needs other fields: `self` among `peers`, no peer twice, a takeover time
 * of at least three heartbeats (one late beat must not move clients), full mode, a PostgreSQL store.
 */
export function haConfigProblems(ha: DhcpHaConfig | undefined, dhcpMode: string, storeKind: string): ConfigProblem[] {
  if (ha === undefined) return [];
  const problems: ConfigProblem[] = [];
  if (!ha.peers.includes(ha.self)) problems.push({ path: 'dhcp.ha.self', message: `${JSON.stringify(ha.self)} is not one of dhcp.ha.peers (${ha.peers.join(', ')})` });
  ha.peers.forEach((name, i) => {
    if (ha.peers.indexOf(name) !== i) problems.push({ path: `dhcp.ha.peers[${i}]`, message: `${JSON.stringify(name)} is listed twice` });
  });
  if (ha.takeoverSeconds < 3 * ha.heartbeatSeconds) {
    problems.push({ path: 'dhcp.ha.takeoverSeconds', message: `${ha.takeoverSeconds} is less than three heartbeats (3 × heartbeatSeconds = ${3 * ha.heartbeatSeconds})` });
  }
  if (dhcpMode !== 'full') problems.push({ path: 'dhcp.ha', message: `needs dhcp.mode full (got ${JSON.stringify(dhcpMode)})` });
  if (storeKind !== 'postgres') problems.push({ path: 'dhcp.ha', message: `needs store.kind postgres, the store the instances share (got ${JSON.stringify(storeKind)})` });
  return problems;
}
