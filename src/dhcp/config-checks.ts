/**
 * Cross-field checks of the `dhcp` section, run by the config loader (`config/checks.ts`): every problem is
 * reported at once with its path and value (ranges outside the subnet, start after end, reservations
 * outside every subnet, duplicate reservations, a full mode without a pool, option values of the wrong type,
 * overlapping subnets, a network's server address outside its subnet or on no interface of this host).
 */
import type { ConfigProblem } from '../config/types.js';
import { cidrBroadcast, cidrContains, intToIp, ipToInt, isIpv4, parseCidr, type Cidr } from '../net/ipv4.js';
import { parseMac } from '../net/mac.js';
import type { DhcpConfig, DhcpExtraOption } from './config.js';

function checkRanges(path: string, subnetText: string | undefined, ranges: Array<{ start: string; end: string }>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const cidr: Cidr | null = subnetText === undefined ? null : parseCidr(subnetText);
  ranges.forEach((range, i) => {
    const start = ipToInt(range.start);
    const end = ipToInt(range.end);
    if (start > end) problems.push({ path: `${path}.ranges[${i}]`, message: `start ${range.start} is after end ${range.end}` });
    if (cidr === null) {
      problems.push({ path: `${path}.ranges[${i}]`, message: 'a range needs a subnet' });
      return;
    }
    for (const [key, value, number] of [['start', range.start, start], ['end', range.end, end]] as const) {
      if (!cidrContains(cidr, number)) problems.push({ path: `${path}.ranges[${i}].${key}`, message: `${value} is outside subnet ${subnetText}` });
      else if (cidr.prefix < 31 && (number === cidr.network || number === cidrBroadcast(cidr))) {
        problems.push({ path: `${path}.ranges[${i}].${key}`, message: `${value} is the network or broadcast address of ${subnetText}` });
      }
    }
  });
  return problems;
}

function checkOption(path: string, option: DhcpExtraOption): ConfigProblem[] {
  const { type, value, code } = option;
  const bad = (what: string): ConfigProblem[] => [{ path: `${path}.value`, message: `option ${code} of type ${type} needs ${what} (got ${JSON.stringify(value)})` }];
  if ([53, 54, 50, 51, 52, 55, 61, 82].includes(code)) {
    return [{ path: `${path}.code`, message: `option ${code} is managed by the server and cannot be set` }];
  }
  switch (type) {
    case 'text':
      return typeof value === 'string' && value.length > 0 ? [] : bad('a non-empty string');
    case 'ip':
      return typeof value === 'string' && isIpv4(value) ? [] : bad('an IPv4 address');
    case 'ips':
      return Array.isArray(value) && value.length > 0 && value.every(isIpv4) ? [] : bad('a list of IPv4 addresses');
    case 'u8':
    case 'u16':
    case 'u32': {
      const max = type === 'u8' ? 0xff : type === 'u16' ? 0xffff : 0xffffffff;
      return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max ? [] : bad(`an integer 0–${max}`);
    }
    case 'bool':
      return typeof value === 'boolean' ? [] : bad('true or false');
    case 'hex':
      return typeof value === 'string' && /^([0-9a-fA-F]{2}[:]?)+$/.test(value) ? [] : bad('hex bytes like "01:02" or "0102"');
    default:
      return bad('a known type');
  }
}

/** This host's interfaces and their IPv4 addresses (from `os.networkInterfaces()`), for the network checks. */
export type HostInterfaces = ReadonlyMap<string, readonly string[]>;

/** Every configured subnet with the path it was given at, in the order they are checked for overlap. */
function configuredSubnets(dhcp: DhcpConfig): Array<{ path: string; text: string; cidr: Cidr }> {
  const all = [
    ...(dhcp.subnet === undefined ? [] : [{ path: 'dhcp.subnet', text: dhcp.subnet }]),
    ...dhcp.networks.map((n, i) => ({ path: `dhcp.networks[${i}].subnet`, text: n.subnet })),
    ...dhcp.relaySubnets.map((r, i) => ({ path: `dhcp.relaySubnets[${i}].subnet`, text: r.subnet })),
  ];
  return all.flatMap((s) => {
    const cidr = parseCidr(s.text);
    return cidr === null ? [] : [{ ...s, cidr }];
  });
}

function overlaps(a: Cidr, b: Cidr): boolean {
  return cidrContains(a, b.network) || cidrContains(b, a.network);
}

/**
 * The `dhcp.networks` rules: each server address inside its subnet, different from every other server
 * address, held by an interface of this host (the named one, when `interface` is given), and no two
 * networks (nor the network of `server.address`) on one interface, since the interface is what tells
 * them apart. Without `host` (checking a config for another machine) the interface rules are skipped.
 */
function checkNetworks(dhcp: DhcpConfig, serverAddress: string, host: HostInterfaces | undefined): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (dhcp.networks.length > 0 && dhcp.mode === 'proxy') problems.push({ path: 'dhcp.networks', message: 'networks are served in full mode only' });
  const holderOf = (address: string): string | undefined => (host ? [...host].find(([, addresses]) => addresses.includes(address))?.[0] : undefined);
  const addresses = new Map<string, string>([[serverAddress, 'server.address']]);
  const interfaces = new Map<string, string>();
  if (dhcp.subnet !== undefined && dhcp.networks.length > 0) {
    const home = holderOf(serverAddress);
    if (home !== undefined) interfaces.set(home, 'server.address');
  }
  dhcp.networks.forEach((network, i) => {
    const path = `dhcp.networks[${i}]`;
    const cidr = parseCidr(network.subnet);
    if (cidr && !cidrContains(cidr, ipToInt(network.serverAddress))) {
      problems.push({ path: `${path}.serverAddress`, message: `${network.serverAddress} is outside subnet ${network.subnet}` });
    }
    const other = addresses.get(network.serverAddress);
    if (other !== undefined) problems.push({ path: `${path}.serverAddress`, message: `${network.serverAddress} is already the address of ${other}` });
    else addresses.set(network.serverAddress, path);
    if (host === undefined) return;
    const holder = holderOf(network.serverAddress);
    let onInterface = network.interface ?? holder;
    if (network.interface !== undefined && !host.has(network.interface)) {
      problems.push({ path: `${path}.interface`, message: `this host has no interface ${network.interface} with an address (it has ${[...host.keys()].join(', ')})` });
      onInterface = undefined;
    } else if (network.interface !== undefined && holder !== network.interface) {
      const has = host.get(network.interface)!;
      problems.push({ path: `${path}.serverAddress`, message: `${network.serverAddress} is not an address of interface ${network.interface} (it has ${has.length > 0 ? has.join(', ') : 'no IPv4 address'})` });
    } else if (holder === undefined) {
      problems.push({ path: `${path}.serverAddress`, message: `${network.serverAddress} is not an address of any interface of this host` });
    }
    if (onInterface === undefined) return;
    const sharing = interfaces.get(onInterface);
    if (sharing !== undefined) problems.push({ path, message: `interface ${onInterface} already carries the network of ${sharing}: one network per interface` });
    else interfaces.set(onInterface, path);
  });
  return problems;
}

/**
 * Every cross-field problem in the `dhcp` section; no server address is ever a reservation. `host` (this
 * machine's interfaces) enables the checks that a network's address and interface exist here.
 */
export function checkDhcpConfig(dhcp: DhcpConfig, serverAddress: string, host?: HostInterfaces): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (dhcp.mode === 'full') {
    if (dhcp.subnet === undefined && dhcp.networks.length === 0 && dhcp.relaySubnets.length === 0) problems.push({ path: 'dhcp.subnet', message: 'full mode needs a subnet' });
    const anyRange = dhcp.ranges.length > 0 || dhcp.networks.some((n) => n.ranges.length > 0) || dhcp.relaySubnets.some((r) => r.ranges.length > 0);
    if (!anyRange && dhcp.reservations.length === 0) problems.push({ path: 'dhcp.ranges', message: 'full mode needs at least one range or reservation' });
  }
  problems.push(...checkRanges('dhcp', dhcp.subnet, dhcp.ranges));
  dhcp.networks.forEach((network, i) => problems.push(...checkRanges(`dhcp.networks[${i}]`, network.subnet, network.ranges)));
  dhcp.relaySubnets.forEach((relay, i) => problems.push(...checkRanges(`dhcp.relaySubnets[${i}]`, relay.subnet, relay.ranges)));
  const configured = configuredSubnets(dhcp);
  configured.forEach((later, j) => {
    const earlier = configured.slice(0, j).find((s) => overlaps(s.cidr, later.cidr));
    if (earlier) problems.push({ path: later.path, message: `${later.text} overlaps ${earlier.path} ${earlier.text}` });
  });
  problems.push(...checkNetworks(dhcp, serverAddress, host));
  const serverAddresses = new Set([serverAddress, ...dhcp.networks.map((n) => n.serverAddress)]);
  const subnets = configured.map((s) => s.cidr);
  const macs = new Map<string, number>();
  const ips = new Map<string, number>();
  dhcp.reservations.forEach((reservation, i) => {
    const path = `dhcp.reservations[${i}]`;
    const mac = parseMac(reservation.mac) ?? reservation.mac;
    if (macs.has(mac)) problems.push({ path: `${path}.mac`, message: `${reservation.mac} is already reserved in dhcp.reservations[${macs.get(mac)}]` });
    else macs.set(mac, i);
    if (ips.has(reservation.ip)) problems.push({ path: `${path}.ip`, message: `${reservation.ip} is already reserved in dhcp.reservations[${ips.get(reservation.ip)}]` });
    else ips.set(reservation.ip, i);
    const address = ipToInt(reservation.ip);
    const home = subnets.find((s) => cidrContains(s, address));
    if (!home) problems.push({ path: `${path}.ip`, message: `${reservation.ip} is outside every configured subnet` });
    else if (serverAddresses.has(reservation.ip)) problems.push({ path: `${path}.ip`, message: `${reservation.ip} is the server's own address` });
    else if (home.prefix < 31 && (address === home.network || address === cidrBroadcast(home))) {
      const which = address === home.network ? 'network' : 'broadcast';
      problems.push({ path: `${path}.ip`, message: `${reservation.ip} is the ${which} address of ${intToIp(home.network)}/${home.prefix}` });
    }
  });
  dhcp.options.forEach((option, i) => problems.push(...checkOption(`dhcp.options[${i}]`, option)));
  return problems;
}
