/**
 * Cross-field checks of the `dhcp` section, run by the config loader (`config/checks.ts`): every problem is
 * reported at once with its path and value (ranges outside the subnet, start after end, reservations
 * outside every subnet, duplicate reservations, a full mode without a pool, option values of the wrong type).
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

/** Every cross-field problem in the `dhcp` section; `serverAddress` is never a reservation. */
export function checkDhcpConfig(dhcp: DhcpConfig, serverAddress: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (dhcp.mode === 'full') {
    if (dhcp.subnet === undefined && dhcp.relaySubnets.length === 0) problems.push({ path: 'dhcp.subnet', message: 'full mode needs a subnet' });
    const anyRange = dhcp.ranges.length > 0 || dhcp.relaySubnets.some((r) => r.ranges.length > 0);
    if (!anyRange && dhcp.reservations.length === 0) problems.push({ path: 'dhcp.ranges', message: 'full mode needs at least one range or reservation' });
  }
  problems.push(...checkRanges('dhcp', dhcp.subnet, dhcp.ranges));
  dhcp.relaySubnets.forEach((relay, i) => {
    problems.push(...checkRanges(`dhcp.relaySubnets[${i}]`, relay.subnet, relay.ranges));
    const cidr = parseCidr(relay.subnet);
    const local = dhcp.subnet === undefined ? null : parseCidr(dhcp.subnet);
    if (cidr && local && (cidrContains(local, cidr.network) || cidrContains(cidr, local.network))) {
      problems.push({ path: `dhcp.relaySubnets[${i}].subnet`, message: `${relay.subnet} overlaps dhcp.subnet ${dhcp.subnet}` });
    }
  });
  const subnets = [dhcp.subnet, ...dhcp.relaySubnets.map((r) => r.subnet)].flatMap((s) => (s === undefined ? [] : [parseCidr(s)!]));
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
    else if (reservation.ip === serverAddress) problems.push({ path: `${path}.ip`, message: `${reservation.ip} is the server's own address` });
    else if (home.prefix < 31 && (address === home.network || address === cidrBroadcast(home))) {
      const which = address === home.network ? 'network' : 'broadcast';
      problems.push({ path: `${path}.ip`, message: `${reservation.ip} is the ${which} address of ${intToIp(home.network)}/${home.prefix}` });
    }
  });
  dhcp.options.forEach((option, i) => problems.push(...checkOption(`dhcp.options[${i}]`, option)));
  return problems;
}
