/**
 * File names boot clients ask for, as a pure mapping between names and identities (boot-protocols.md
 * §1.4, §2.3, §4.1): PXELINUX tries `pxelinux.cfg/<uuid>` (the UUID from option 97, whose first three
 * fields arrive byte-swapped), `01-<mac>`, the hex IP shortened one digit at a time, then `default`;
 * pypxeboot tries `01-<MAC as typed, case kept>`, the 8-digit hex IP, then `default`; GRUB tries
 * `grub/grub.cfg-01-<mac>`, the hex IP shortened, then `grub/grub.cfg`. No I/O here.
 */
import { ipToHex } from '../net/ipv4.js';
import { parseMac, pxelinuxMacName, type Mac } from '../net/mac.js';
import { parseUuid } from '../net/uuid.js';

/** The identity a config-file name carries. */
export type NameKey =
  | { kind: 'uuid'; uuid: string }
  | { kind: 'mac'; mac: Mac }
  /** 1–8 uppercase hex digits; 8 digits name one address, fewer a range of them. */
  | { kind: 'ip'; hex: string }
  | { kind: 'default' };

/** iPXE platform a per-MAC script is for. */
export type IpxePlatform = 'pcbios' | 'efi';

/** A generated file recognised from its path. */
export type GeneratedName =
  | { family: 'pxelinux'; key: NameKey }
  | { family: 'grub'; key: NameKey }
  /** `boot.ipxe`: the dispatcher that chains to the per-MAC script. */
  | { family: 'ipxe-dispatch' }
  | { family: 'ipxe'; mac: Mac; platform: IpxePlatform }
  | { family: 'xen-cfg'; mac: Mac };

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

/**
 * Recognises a generated file from a normalised path (no leading `/`), or returns `null` for anything
 * else (static files). Names: `pxelinux.cfg/<key>`, `grub/grub.cfg-<key>`, `grub/grub.cfg`, `boot.ipxe`,
 * `ipxe/01-<mac>.ipxe`, `ipxe/<pcbios|efi>/01-<mac>.ipxe`, `xen-cfg/01-<mac>`.
 */
export function parseGeneratedPath(path: string): GeneratedName | null {
  if (path.startsWith('pxelinux.cfg/')) {
    const key = parseNameKey(path.slice('pxelinux.cfg/'.length));
    return key === null ? null : { family: 'pxelinux', key };
  }
  if (path === 'grub/grub.cfg') return { family: 'grub', key: { kind: 'default' } };
  if (path.startsWith('grub/grub.cfg-')) {
    const key = parseNameKey(path.slice('grub/grub.cfg-'.length));
    return key === null || key.kind === 'default' ? null : { family: 'grub', key };
  }
  if (path === 'boot.ipxe') return { family: 'ipxe-dispatch' };
  const ipxe = /^ipxe\/(?:(pcbios|efi)\/)?01-([^/]+)\.ipxe$/.exec(path);
  if (ipxe) {
    const mac = parseMac(ipxe[2]!);
    return mac === null ? null : { family: 'ipxe', mac, platform: (ipxe[1] as IpxePlatform | undefined) ?? 'pcbios' };
  }
  const xenCfg = /^xen-cfg\/01-([^/]+)$/.exec(path);
  if (xenCfg) {
    const mac = parseMac(xenCfg[1]!);
    return mac === null ? null : { family: 'xen-cfg', mac };
  }
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

/** PXELINUX's request order (`core/fs/pxe/pxe.c: pxe_open_config`), without option 209. */
export function pxelinuxCandidates(id: LookupIdentity): string[] {
  const names: string[] = [];
  if (id.wireUuid !== undefined) names.push(id.wireUuid.toLowerCase());
  names.push(pxelinuxMacName(id.mac));
  if (id.ip !== undefined) names.push(...shrinkingHexNames(id.ip));
  names.push('default');
  return names.map((n) => `pxelinux.cfg/${n}`);
}

/**
 * pypxeboot's request order (§1.4): the MAC as typed in the Xen config with `:` turned into `-` (case
 * kept), the leased address as 8 hex digits (no shortening), then `default`. No UUID.
 */
export function pypxebootCandidates(macAsTyped: string, ip?: string): string[] {
  const names = [`01-${macAsTyped.replace(/:/g, '-')}`];
  if (ip !== undefined) names.push(ipToHex(ip));
  names.push('default');
  return names.map((n) => `pxelinux.cfg/${n}`);
}

/** GRUB 2.06's netboot search (§4.1): per MAC, hex IP shortened, then `grub/grub.cfg`. */
export function grubCandidates(mac: Mac, ip?: string): string[] {
  const names = [`grub/grub.cfg-${pxelinuxMacName(mac)}`];
  if (ip !== undefined) names.push(...shrinkingHexNames(ip).map((h) => `grub/grub.cfg-${h}`));
  names.push('grub/grub.cfg');
  return names;
}

/** The per-MAC iPXE script path for a platform. */
export function ipxeScriptPath(mac: Mac, platform: IpxePlatform): string {
  return `ipxe/${platform}/${pxelinuxMacName(mac)}.ipxe`;
}

/** The path of a host's generated `xen.cfg` (for xen.efi). */
export function xenCfgPath(mac: Mac): string {
  return `xen-cfg/${pxelinuxMacName(mac)}`;
}
