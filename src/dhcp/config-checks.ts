/**
 * Cross-field checks of the `dhcp` section, run by the config loader (`config/checks.ts`): every problem is
 * reported at once with its path and value (ranges outside the subnet, start after end, reservations
 * outside every subnet, duplicate reservations, a full mode without a pool, option values of the wrong type,
 * overlapping subnets, a network's server address outside its subnet or on no interface of this host),
 * and every value that could not go on the wire as firmware reads it (`option-rules.ts`): options xenboot
 * sets itself, values of the wrong length or over 255 bytes, non-ASCII text, boot files too long for
 * option 67, DNS/NTP lists over one option.
 */
import type { ConfigProblem } from '../config/types.js';
import { cidrBroadcast, cidrContains, intToIp, ipToInt, isIpv4, parseCidr, type Cidr } from '../net/ipv4.js';
import { parseMac } from '../net/mac.js';
import type { DhcpConfig, DhcpExtraOption } from './config.js';
import { isDnsName, isWireText, MAX_OPTION_ADDRESSES, MAX_OPTION_BYTES, optionFormatProblem, SERVER_SET_OPTIONS } from './option-rules.js';
import { encodeExtraOption } from './reply-options.js';

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
  const setBy = SERVER_SET_OPTIONS.get(code);
  if (setBy !== undefined) return [{ path: `${path}.code`, message: `option ${code} is set by the server and cannot be set here: ${setBy}` }];
  switch (type) {
    case 'text':
      if (typeof value !== 'string' || value.length === 0) return bad('a non-empty string');
      if (!isWireText(value)) return bad('printable ASCII text (RFC 2132 NVT ASCII; use type hex for other bytes)');
      break;
    case 'ip':
      if (typeof value !== 'string' || !isIpv4(value)) return bad('an IPv4 address');
      break;
    case 'ips':
      if (!Array.isArray(value) || value.length === 0 || !value.every(isIpv4)) return bad('a list of IPv4 addresses');
      break;
    case 'u8':
    case 'u16':
    case 'u32': {
      const max = type === 'u8' ? 0xff : type === 'u16' ? 0xffff : 0xffffffff;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) return bad(`an integer 0–${max}`);
      break;
    }
    case 'bool':
      if (typeof value !== 'boolean') return bad('true or false');
      break;
    case 'hex':
      if (typeof value !== 'string' || !/^([0-9a-fA-F]{2}[:]?)+$/.test(value)) return bad('hex bytes like "01:02" or "0102"');
      break;
    default:
      return bad('a known type');
  }
  const problem = optionFormatProblem(code, encodeExtraOption(option));
  return problem === null ? [] : [{ path: `${path}.value`, message: `option ${code} ${problem}` }];
}

/**
 * Problems of a boot file name DHCP hands (`file` field and option 67): printable ASCII without spaces,
 * and at most 255 bytes, so option 67 stays one piece (names over 127 bytes do not fit the `file` field
 * and go in option 67 only).
 */
export function bootFileProblems(path: string, file: string): ConfigProblem[] {
  if (!isWireText(file) || /\s/.test(file)) return [{ path, message: `boot file ${JSON.stringify(file)} must be printable ASCII without spaces (it goes in the file field and option 67)` }];
  if (file.length > MAX_OPTION_BYTES) return [{ path, message: `boot file is ${file.length} bytes; option 67 holds at most ${MAX_OPTION_BYTES}: ${file.slice(0, 60)}…` }];
  return [];
}

/** Settings a subnet hands out: each list and name must fit one option. */
function checkSubnetOptions(path: string, subnet: { dns: string[]; ntp: string[]; domain?: string | undefined }): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const key of ['dns', 'ntp'] as const) {
    if (subnet[key].length > MAX_OPTION_ADDRESSES) {
      problems.push({ path: `${path}.${key}`, message: `${subnet[key].length} servers; one option holds at most ${MAX_OPTION_ADDRESSES} addresses` });
    }
  }
  if (subnet.domain !== undefined && !isDnsName(subnet.domain)) {
    problems.push({ path: `${path}.domain`, message: `${JSON.stringify(subnet.domain)} is not a domain name (letters, digits, hyphens; labels of at most 63 characters)` });
  }
  return problems;
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
  problems.push(...checkSubnetOptions('dhcp', dhcp));
  dhcp.relaySubnets.forEach((relay, i) => problems.push(...checkSubnetOptions(`dhcp.relaySubnets[${i}]`, relay)));
  dhcp.networks.forEach((network, i) => problems.push(...checkSubnetOptions(`dhcp.networks[${i}]`, network)));
  dhcp.reservations.forEach((reservation, i) => {
    if (reservation.hostname !== undefined && !isDnsName(reservation.hostname)) {
      problems.push({ path: `dhcp.reservations[${i}].hostname`, message: `${JSON.stringify(reservation.hostname)} is not an RFC 1123 host name` });
    }
  });
  for (const key of ['configFile', 'pathPrefix'] as const) {
    const text = dhcp.pxelinux[key];
    if (text !== undefined && !isWireText(text)) problems.push({ path: `dhcp.pxelinux.${key}`, message: `${JSON.stringify(text)} must be printable ASCII (it goes in option ${key === 'configFile' ? 209 : 210})` });
  }
  for (const key of ['bios', 'efiX64', 'efiIa32', 'efiArm64', 'efiArm32', 'httpX64', 'fallback', 'ipxeScript'] as const) {
    const file = dhcp.boot[key];
    if (file !== undefined) problems.push(...bootFileProblems(`dhcp.boot.${key}`, file));
  }
  return problems;
}
