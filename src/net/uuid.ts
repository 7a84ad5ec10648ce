/**
 * SMBIOS UUID handling.
 *
 * Firmware sends the SMBIOS UUID in DHCP option 97 in raw SMBIOS byte order: the first three fields are
 * little-endian (boot-protocols.md §2.1). PXELINUX then asks for `pxelinux.cfg/<uuid>` in that swapped
 * order, while iPXE's `${uuid}` and `dmidecode` print the canonical order. Matching accepts both.
 */

/** A UUID in canonical text form: lowercase `8-4-4-4-12` hex. */
export type Uuid = string;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Parses a UUID in any case, with or without braces; returns the lowercase canonical text, or `null`. */
export function parseUuid(text: string): Uuid | null {
  const t = text.trim().toLowerCase().replace(/^\{|\}$/g, '');
  return UUID_RE.test(t) ? t : null;
}

/** Formats 16 bytes as UUID text, taking the bytes in the order given (no swapping). */
export function uuidFromBytes(bytes: Uint8Array): Uuid {
  if (bytes.length !== 16) throw new Error(`UUID needs 16 bytes, got ${bytes.length}`);
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The UUID with its first three fields byte-swapped (canonical ⇄ SMBIOS wire order; the mapping is its own inverse). */
export function swapUuidFields(uuid: Uuid): Uuid {
  // Character pairs by position (canonical text: 8-4-4-4-12); an inventory of 100,000 hosts calls this
  // for each of them on every rebuild.
  const u = uuid;
  return (
    u[6]! + u[7]! + u[4]! + u[5]! + u[2]! + u[3]! + u[0]! + u[1]! + '-' +
    u[11]! + u[12]! + u[9]! + u[10]! + '-' +
    u[16]! + u[17]! + u[14]! + u[15]! +
    u.slice(18)
  );
}
