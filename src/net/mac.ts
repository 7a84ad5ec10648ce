/**
 * MAC address parsing and formatting.
 *
 * Every identifier that enters xenboot (config, API, DHCP chaddr, TFTP file names) is normalised once at the
 * boundary to the canonical form `aa:bb:cc:dd:ee:ff`; other spellings are produced only when rendering.
 */

/** A MAC address in canonical form: six lowercase hex pairs separated by `:`. */
export type Mac = string;

const HEX12 = /^[0-9a-f]{12}$/;
/** Already canonical: what every MAC inside xenboot looks like, so `parseMac` returns it as it is. */
const CANONICAL = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;
/** Each byte as two lowercase hex digits. */
const HEX_BYTE = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/**
 * Parses a MAC address in any case with `:`, `-`, `.` or no separators (`00:16:3E:11:22:33`,
 * `00-16-3e-11-22-33`, `0016.3e11.2233`, `00163e112233`). Returns the canonical form, or `null`.
 */
export function parseMac(text: string): Mac | null {
  if (CANONICAL.test(text)) return text;
  const trimmed = text.trim().toLowerCase();
  // Separators must be used consistently: either none, or the same one between every group.
  const groups = trimmed.split(/[:\-.]/);
  const separators = trimmed.match(/[:\-.]/g) ?? [];
  if (separators.length > 0 && new Set(separators).size !== 1) return null;
  const okShape =
    groups.length === 1 ||
    (groups.length === 6 && groups.every((g) => g.length === 2)) ||
    (groups.length === 3 && groups.every((g) => g.length === 4));
  if (!okShape) return null;
  const hex = groups.join('');
  if (!HEX12.test(hex)) return null;
  return hex.match(/../g)!.join(':');
}

/** True when `text` parses as a MAC address in any accepted spelling. */
export function isMac(text: string): boolean {
  return parseMac(text) !== null;
}

/** Canonical MAC from the first six bytes of a buffer (DHCP `chaddr`). */
export function macFromBytes(bytes: Uint8Array): Mac {
  if (bytes.length < 6) throw new Error(`MAC needs 6 bytes, got ${bytes.length}`);
  return `${HEX_BYTE[bytes[0]!]}:${HEX_BYTE[bytes[1]!]}:${HEX_BYTE[bytes[2]!]}:${HEX_BYTE[bytes[3]!]}:${HEX_BYTE[bytes[4]!]}:${HEX_BYTE[bytes[5]!]}`;
}

/** The six bytes of a canonical MAC. */
export function macToBytes(mac: Mac): Buffer {
  const parsed = parseMac(mac);
  if (parsed === null) throw new Error(`not a MAC address: ${JSON.stringify(mac)}`);
  return Buffer.from(parsed.replace(/:/g, ''), 'hex');
}

/** `aa-bb-cc-dd-ee-ff` (lowercase, dashes), as in `BOOTIF=01-…` and `pxelinux.cfg/01-…`. */
export function macHyphenated(mac: Mac): string {
  return mac.replace(/:/g, '-');
}

/** PXELINUX's per-MAC config name for Ethernet (ARP hardware type 1): `01-aa-bb-cc-dd-ee-ff`. */
export function pxelinuxMacName(mac: Mac): string {
  return `01-${macHyphenated(mac)}`;
}
