/**
 * Which local network a request arrived on, and which of the server's addresses answers it. A limited
 * broadcast (255.255.255.255) names no network: only the interface it came in on does, so each local
 * network is tied to an interface (`dhcp.networks[].interface`, or the one holding its server address)
 * and the socket reports the arriving interface's index (IP_PKTINFO, `socket/pktinfo.ts`). Relayed
 * requests are placed by `giaddr` as before (RFC 2131 §4.3.1); they are answered from the address the
 * relay sent them to when that is one of ours (RFC 3046 §2.1.1 agents unicast to a configured address).
 * Pure: the interface indexes are resolved once at start by the server.
 */
import type { Subnet } from './subnets.js';

/** A local subnet with the interface it is served on. */
export interface LocalNetwork {
  subnet: Subnet;
  /** The server's address on it: siaddr and option 54. */
  serverAddress: string;
  /** The interface's name and index; index 0 when unknown (a single-network config needs none). */
  interfaceName?: string;
  ifindex: number;
}

/** What the socket knows of an arrival; null when it cannot tell (node:dgram). */
export interface ArrivalFacts {
  ifindex: number;
  /** The header's destination address (255.255.255.255 for a limited broadcast). */
  destination: string;
}

/** The network a request is answered for, and the address it is answered from; or why none. */
export type NetworkChoice =
  | { ok: true; network: LocalNetwork | undefined; serverAddress: string }
  | { ok: false; reason: string };

/**
 * Chooses the network of a request. `homeAddress` is `server.address`, the answer for relayed requests not
 * sent to another of our addresses. With one local network (or none), every direct request is its own, as
 * before there were several; with several, the arriving interface decides, then the destination address.
 */
export function chooseNetwork(networks: readonly LocalNetwork[], homeAddress: string, giaddr: string, arrival: ArrivalFacts | null): NetworkChoice {
  const byAddress = arrival === null ? undefined : networks.find((n) => n.serverAddress === arrival.destination);
  if (giaddr !== '0.0.0.0') return { ok: true, network: undefined, serverAddress: byAddress?.serverAddress ?? homeAddress };
  if (networks.length <= 1) return { ok: true, network: networks[0], serverAddress: networks[0]?.serverAddress ?? homeAddress };
  if (arrival === null) return { ok: false, reason: 'several networks, but the socket cannot tell which interface a request arrived on' };
  const network = networks.find((n) => n.ifindex !== 0 && n.ifindex === arrival.ifindex) ?? byAddress;
  if (network === undefined) return { ok: false, reason: `arrived on interface #${arrival.ifindex}, which carries none of the configured networks` };
  return { ok: true, network, serverAddress: network.serverAddress };
}
