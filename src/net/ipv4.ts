/**
 * IPv4 address helpers: dotted quad ⇄ unsigned 32-bit integer, prefixes and ranges.
 *
 * Addresses are handled as numbers in pools and lease tables (cheap comparisons and arithmetic) and as
 * dotted quads everywhere a person reads them.
 */

const QUAD = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** True when `text` is a dotted-quad IPv4 address without leading zeros (`10.0.0.1`, not `010.0.0.1`). */
export function isIpv4(text: string): boolean {
  return QUAD.test(text);
}

/**
 * The dotted quad `text` as an unsigned 32-bit integer, or -1 when it is not one in the form `isIpv4`
 * accepts (four decimal parts 0–255, no leading zeros). A loop over the characters: the DHCP server
 * calls this several times per message.
 */
export function parseQuad(text: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots += 1;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // a leading zero
      part = part * 10 + (c - 48);
      digits += 1;
      if (part > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

/** Parses a dotted quad into an unsigned 32-bit integer; throws on anything else. */
export function ipToInt(text: string): number {
  const value = parseQuad(text);
  if (value < 0) throw new Error(`not an IPv4 address: ${JSON.stringify(text)}`);
  return value;
}

/** Formats an unsigned 32-bit integer as a dotted quad. */
export function intToIp(value: number): string {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new Error(`not a 32-bit address: ${value}`);
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** The dotted quad of the four bytes at `offset`, in network order, as BOOTP fields and DHCP options carry an address. */
export function ipFromBytes(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** Eight uppercase hex digits, as PXELINUX and pypxeboot name per-IP config files (`10.99.0.123` → `0A63007B`). */
export function ipToHex(text: string): string {
  return ipToInt(text).toString(16).toUpperCase().padStart(8, '0');
}

/** The netmask for a prefix length (`24` → `255.255.255.0`). */
export function prefixToMask(prefix: number): string {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`not a prefix length: ${prefix}`);
  return intToIp(prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
}

/** The prefix length of a contiguous netmask, or `null` when the mask has holes. */
export function maskToPrefix(mask: string): number | null {
  const value = ipToInt(mask);
  const inverted = ~value >>> 0;
  // A contiguous mask inverted is 2^n - 1.
  if ((inverted & (inverted + 1)) !== 0) return null;
  return 32 - Math.log2(inverted + 1);
}

/** A parsed `a.b.c.d/n` network. */
export interface Cidr {
  /** Network address as an integer (host bits cleared). */
  network: number;
  /** Prefix length, 0–32. */
  prefix: number;
}

/** Parses `10.0.0.0/24`; returns `null` for anything malformed. Host bits may be set (`10.0.0.1/24`). */
export function parseCidr(text: string): Cidr | null {
  const match = /^([^/]+)\/(\d{1,2})$/.exec(text.trim());
  if (!match || !isIpv4(match[1]!)) return null;
  const prefix = Number(match[2]);
  if (prefix > 32) return null;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { network: (ipToInt(match[1]!) & mask) >>> 0, prefix };
}

/** True when the integer address lies inside the network. */
export function cidrContains(cidr: Cidr, address: number): boolean {
  const mask = cidr.prefix === 0 ? 0 : (0xffffffff << (32 - cidr.prefix)) >>> 0;
  return ((address & mask) >>> 0) === cidr.network;
}

/** The broadcast address of a network, as an integer. */
export function cidrBroadcast(cidr: Cidr): number {
  const hostBits = cidr.prefix === 32 ? 0 : 0xffffffff >>> cidr.prefix;
  return (cidr.network | hostBits) >>> 0;
}
