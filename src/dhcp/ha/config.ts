/**
 * Schema and cross-field checks of `dhcp.ha`: two (or more) xenboot instances on one network and one
 * PostgreSQL database, each answering the clients its RFC 3074 hash bucket gives it, taking over the
 * clients of a peer whose heartbeat stops. docs/dhcp.md ("Two instances") describes every key.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Ipv4, StrictObject, type ConfigProblem } from '../../config/types.js';

/** An instance name: what the heartbeat row is keyed by and what logs say. */
const PeerName = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$', description: 'instance name' });

/** The `dhcp.ha` block. */
export const DhcpHaSchema = StrictObject(
  {
    self: PeerName,
    peers: Type.Array(
      StrictObject({
        name: PeerName,
        address: Type.Union([Ipv4], { description: "the instance's server.address (its option 54): its replies are not reported as a rogue server's" }),
      }),
      {
        minItems: 2,
        maxItems: 8,
        description: 'every instance, this one included, in the same order on all of them: clients of hash bucket b belong to peers[b mod n]',
      },
    ),
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
 * Every problem of `dhcp.ha` that needs other fields: `self` among `peers` with this instance's
 * `server.address`, no name or address twice, a takeover time of at least three heartbeats (one late beat
 * must not move clients), full mode, a PostgreSQL store.
 */
export function haConfigProblems(ha: DhcpHaConfig | undefined, dhcpMode: string, storeKind: string, serverAddress: string): ConfigProblem[] {
  if (ha === undefined) return [];
  const problems: ConfigProblem[] = [];
  const names = ha.peers.map((p) => p.name);
  const self = ha.peers.find((p) => p.name === ha.self);
  if (self === undefined) problems.push({ path: 'dhcp.ha.self', message: `${JSON.stringify(ha.self)} is not one of dhcp.ha.peers (${names.join(', ')})` });
  else if (self.address !== serverAddress) {
    problems.push({ path: `dhcp.ha.peers[${ha.peers.indexOf(self)}].address`, message: `${self.address} is this instance's entry (self), but server.address is ${serverAddress}` });
  }
  ha.peers.forEach((peer, i) => {
    if (names.indexOf(peer.name) !== i) problems.push({ path: `dhcp.ha.peers[${i}].name`, message: `${JSON.stringify(peer.name)} is listed twice` });
    const first = ha.peers.findIndex((p) => p.address === peer.address);
    if (first !== i) problems.push({ path: `dhcp.ha.peers[${i}].address`, message: `${peer.address} is also dhcp.ha.peers[${first}]'s address` });
  });
  if (ha.takeoverSeconds < 3 * ha.heartbeatSeconds) {
    problems.push({ path: 'dhcp.ha.takeoverSeconds', message: `${ha.takeoverSeconds} is less than three heartbeats (3 × heartbeatSeconds = ${3 * ha.heartbeatSeconds})` });
  }
  if (dhcpMode !== 'full') problems.push({ path: 'dhcp.ha', message: `needs dhcp.mode full (got ${JSON.stringify(dhcpMode)})` });
  if (storeKind !== 'postgres') problems.push({ path: 'dhcp.ha', message: `needs store.kind postgres, the store the instances share (got ${JSON.stringify(storeKind)})` });
  return problems;
}
