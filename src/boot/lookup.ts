/**
 * The identity part of config-file names that PXELINUX, pypxeboot and GRUB share (boot-protocols.md
 * §1.4, §2.3, §4.1), as a pure mapping between names and identities: a UUID (from option 97, whose first
 * three fields may arrive byte-swapped), `01-<mac>` (any case, any separator), a hex IP of 1–8 digits
 * (fewer than 8 name a range), or `default`. Each loader family (`loaders/`) owns its own prefixes and
 * request order on top of this grammar. No I/O here.
 */
import { ipToHex } from '../net/ipv4.js';
import { parseMac, type Mac } from '../net/mac.js';
import { parseUuid } from '../net/uuid.js';

/** The identity a config-file name carries. */
export type NameKey =
  | { kind: 'uuid'; uuid: string }
  | { kind: 'mac'; mac: Mac }
  /** 1–8 uppercase hex digits; 8 digits name one address, fewer a range of them. */
  | { kind: 'ip'; hex: string }
  | { kind: 'default' };

/** Parses the part after `pxelinux.cfg/` or `grub.cfg-`: a UUID, `01-<mac>` (any case/separator) or hex IP. */
export function parseNameKey(name: string): NameKey | null {
  if (name === 'default') return { kind: 'default' };
  const uuid = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(name) ? parseUuid(name) : null;
  if (uuid !== null) return { kind: 'uuid', uuid };
  if (/^01-/.test(name)) {
    const mac = parseMac(name.slice(3));
    return mac === null ? null : { kind: 'mac', mac };
  }
  if (/^[0-9A-Fa-f]{1,8}$/.test(name)) return { kind: 'ip', hex: name.toUpperCase() };
  return null;
}

/** The hex-IP names PXELINUX and GRUB try: 8 digits, then one fewer each time, down to 1. */
export function shrinkingHexNames(ip: string): string[] {
  const hex = ipToHex(ip);
  return Array.from({ length: 8 }, (_, i) => hex.slice(0, 8 - i));
}

/** What a client knows about itself when it looks for its config. */
export interface LookupIdentity {
  mac: Mac;
  /** UUID as the client sends it in option 97 (PXELINUX uses those bytes as they are). */
  wireUuid?: string;
  ip?: string;
}
