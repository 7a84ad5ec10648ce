/**
 * The networks DHCP serves, resolved from config into numbers once at start: the local subnets (the one
 * of `server.address` and each of `dhcp.networks`) and the subnets behind relays, each with its pool
 * ranges and the options its clients get. A request is placed in a subnet by `giaddr` (RFC 2131 §4.3.1):
 * the relay's address, or, when there is none, the local network it arrived on (`networks.ts`).
 */
import { cidrBroadcast, cidrContains, intToIp, ipToInt, parseCidr, prefixToMask, type Cidr } from '../net/ipv4.js';
import type { DhcpConfig } from './config.js';

/** An inclusive range of addresses as integers. */
export interface AddressRange {
  start: number;
  end: number;
}

/** One served network. */
export interface Subnet {
  /** `10.0.0.0/24`, for logs. */
  name: string;
  cidr: Cidr;
  mask: string;
  broadcast: string;
  ranges: AddressRange[];
  router?: string;
  dns: string[];
  domain?: string;
  ntp: string[];
  /** True for a subnet the server sits on (requests without `giaddr`). */
  local: boolean;
  /** A local subnet's server address (siaddr, option 54); absent for subnets behind relays. */
  serverAddress?: string;
  /** A local subnet's interface, when the config names it. */
  interface?: string;
}

interface SubnetFields {
  subnet?: string;
  ranges: Array<{ start: string; end: string }>;
  router?: string;
  dns: string[];
  domain?: string;
  ntp: string[];
}

function toSubnet(fields: SubnetFields & { subnet: string }, local: boolean): Subnet {
  const cidr = parseCidr(fields.subnet);
  if (cidr === null) throw new Error(`not a network: ${fields.subnet}`);
  const subnet: Subnet = {
    name: fields.subnet,
    cidr,
    mask: prefixToMask(cidr.prefix),
    broadcast: intToIp(cidrBroadcast(cidr)),
    ranges: fields.ranges.map((r) => ({ start: ipToInt(r.start), end: ipToInt(r.end) })),
    dns: [...fields.dns],
    ntp: [...fields.ntp],
    local,
  };
  if (fields.router !== undefined) subnet.router = fields.router;
  if (fields.domain !== undefined) subnet.domain = fields.domain;
  return subnet;
}

/**
 * The local subnet of `server.address` (if configured), then each of `dhcp.networks`, then every relay
 * subnet. `serverAddress` is the `server.address` the first one is served with.
 */
export function buildSubnets(config: DhcpConfig, serverAddress?: string): Subnet[] {
  const subnets: Subnet[] = [];
  if (config.subnet !== undefined) {
    const home = toSubnet({ ...config, subnet: config.subnet }, true);
    if (serverAddress !== undefined) home.serverAddress = serverAddress;
    subnets.push(home);
  }
  for (const network of config.networks ?? []) {
    const local = toSubnet(network, true);
    local.serverAddress = network.serverAddress;
    if (network.interface !== undefined) local.interface = network.interface;
    subnets.push(local);
  }
  for (const relay of config.relaySubnets) subnets.push(toSubnet(relay, false));
  return subnets;
}

/**
 * The subnet a request belongs to: the one containing `giaddr`; when `giaddr` is 0.0.0.0, the local
 * network it arrived on (`arrivedOn`), or the first local one when that is not known.
 */
export function selectSubnet(subnets: readonly Subnet[], giaddr: string, arrivedOn?: Subnet): Subnet | undefined {
  if (giaddr === '0.0.0.0') return arrivedOn ?? subnets.find((s) => s.local);
  const address = ipToInt(giaddr);
  return subnets.find((s) => cidrContains(s.cidr, address));
}

/** The subnet containing an address, if any. */
export function subnetOf(subnets: readonly Subnet[], ip: string): Subnet | undefined {
  const address = ipToInt(ip);
  return subnets.find((s) => cidrContains(s.cidr, address));
}
