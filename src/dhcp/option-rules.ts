/**
 * What a DHCP option value must look like for firmware to accept the reply that carries it, as data the
 * config checks apply before anything is sent (a value that cannot go on the wire is refused when the
 * config is loaded, never cut at send time). Pure: no config, no logging.
 *
 * - One option, one piece: at most 255 bytes. RFC 3396 allows longer options split into pieces, but
 *   EDK2's PXE driver (`PxeBcParseDhcp4Options` in NetworkPkg/UefiPxeBcDxe/PxeBcDhcp4.c), PXE ROMs and
 *   udhcpc 0.9.8 read only the first piece.
 * - The lengths RFC 2132 gives each option, as EDK2 checks them (`DhcpOptionFormats` in
 *   NetworkPkg/Dhcp4Dxe/Dhcp4Option.c): EDK2 releases before 2024 drop the whole packet when one known
 *   option has the wrong length or a switch is not 0/1 (`DhcpValidateOptions`).
 * - Text is NVT ASCII (RFC 2132 §2): printable characters only; a NUL would end the string early in
 *   every C parser, and characters beyond ASCII cannot be encoded one byte each.
 * - Option 43 as PXE sub-options (PXE 2.1 table 2-1) ended by 255: EDK2 `PxeBcParseVendorOptions`
 *   copies fixed-size sub-options without checking their length (edk2 PR #12809, the 2026 NetworkPkg
 *   option-parsing advisories).
 */

/** A unit of an option's value. */
export type OptionUnit = 'ip' | 'i8' | 'i16' | 'i32' | 'switch' | 'ippair';

/** An option's format: its unit and how many units it holds (`max` -1: any, up to the 255-byte limit). */
export interface OptionFormat {
  unit: OptionUnit;
  min: number;
  max: number;
}

const UNIT_BYTES: Readonly<Record<OptionUnit, number>> = { ip: 4, i8: 1, i16: 2, i32: 4, switch: 1, ippair: 8 };

function f(unit: OptionUnit, min: number, max: number): OptionFormat {
  return { unit, min, max };
}

/** RFC 2132 formats of the options EDK2 validates (its `DhcpOptionFormats` table, by code). */
export const OPTION_FORMATS: ReadonlyMap<number, OptionFormat> = new Map([
  [1, f('ip', 1, 1)], [2, f('i32', 1, 1)], [3, f('ip', 1, -1)], [4, f('ip', 1, -1)], [5, f('ip', 1, -1)], [6, f('ip', 1, -1)],
  [7, f('ip', 1, -1)], [8, f('ip', 1, -1)], [9, f('ip', 1, -1)], [10, f('ip', 1, -1)], [11, f('ip', 1, -1)], [12, f('i8', 1, -1)],
  [13, f('i16', 1, 1)], [14, f('i8', 1, -1)], [15, f('i8', 1, -1)], [16, f('ip', 1, 1)], [17, f('i8', 1, -1)], [18, f('i8', 1, -1)],
  [19, f('switch', 1, 1)], [20, f('switch', 1, 1)], [21, f('ippair', 1, -1)], [22, f('i16', 1, 1)], [23, f('i8', 1, 1)],
  [24, f('i32', 1, 1)], [25, f('i16', 1, -1)], [26, f('i16', 1, 1)], [27, f('switch', 1, 1)], [28, f('ip', 1, 1)],
  [29, f('switch', 1, 1)], [30, f('switch', 1, 1)], [31, f('switch', 1, 1)], [32, f('ip', 1, 1)], [33, f('ippair', 1, -1)],
  [34, f('switch', 1, 1)], [35, f('i32', 1, 1)], [36, f('switch', 1, 1)], [37, f('i8', 1, 1)], [38, f('i32', 1, 1)],
  [39, f('switch', 1, 1)], [40, f('i8', 1, -1)], [41, f('ip', 1, -1)], [42, f('ip', 1, -1)], [43, f('i8', 1, -1)],
  [44, f('ip', 1, -1)], [45, f('ip', 1, -1)], [46, f('i8', 1, 1)], [47, f('i8', 1, -1)], [48, f('ip', 1, -1)], [49, f('ip', 1, -1)],
  [50, f('ip', 1, 1)], [51, f('i32', 1, 1)], [52, f('i8', 1, 1)], [53, f('i8', 1, 1)], [54, f('ip', 1, 1)], [55, f('i8', 1, -1)],
  [56, f('i8', 1, -1)], [57, f('i16', 1, 1)], [58, f('i32', 1, 1)], [59, f('i32', 1, 1)], [60, f('i8', 1, -1)], [61, f('i8', 2, -1)],
  [64, f('i8', 1, -1)], [65, f('ip', 1, -1)], [66, f('i8', 1, -1)], [67, f('i8', 1, -1)], [68, f('ip', 0, -1)], [69, f('ip', 1, -1)],
  [70, f('ip', 1, -1)], [71, f('ip', 1, -1)], [72, f('ip', 1, -1)], [73, f('ip', 1, -1)], [74, f('ip', 1, -1)], [75, f('ip', 1, -1)],
  [76, f('ip', 1, -1)], [121, f('i8', 5, -1)],
]);

/** Options whose value is text (RFC 2132 §3–§9, PXELINUX 209/210). */
export const TEXT_OPTIONS: ReadonlySet<number> = new Set([12, 14, 15, 17, 18, 40, 47, 56, 60, 64, 66, 67, 209, 210]);

/** The most bytes one option carries unsplit. */
export const MAX_OPTION_BYTES = 255;

/** The most IPv4 addresses one option carries (255 / 4). */
export const MAX_OPTION_ADDRESSES = 63;

/** Why `data` is not a valid value of option `code` (RFC 2132 formats as EDK2 checks them), or `null`. */
export function optionFormatProblem(code: number, data: Buffer): string | null {
  if (data.length === 0) return 'is empty';
  if (data.length > MAX_OPTION_BYTES) return `is ${data.length} bytes; one option holds at most ${MAX_OPTION_BYTES} (firmware reads only the first piece of a split option)`;
  const format = OPTION_FORMATS.get(code);
  if (format !== undefined) {
    const unit = UNIT_BYTES[format.unit];
    const count = data.length / unit;
    const what = format.unit === 'ip' ? 'IPv4 address' : format.unit === 'ippair' ? 'pair of IPv4 addresses' : format.unit === 'switch' ? 'flag (0 or 1)' : `${unit * 8}-bit number`;
    const range = format.max === -1 ? `at least ${format.min}` : format.min === format.max ? `exactly ${format.min}` : `${format.min}–${format.max}`;
    if (data.length % unit !== 0 || count < format.min || (format.max !== -1 && count > format.max)) {
      return `is ${data.length} byte${data.length === 1 ? '' : 's'}; RFC 2132 (and EDK2, which drops the whole reply otherwise) wants ${range} ${what}${format.max === 1 ? '' : 's'} of ${unit} byte${unit === 1 ? '' : 's'}`;
    }
    if (format.unit === 'switch' && data.some((b) => b > 1)) return 'is a flag: 0 or 1 only';
  }
  if (TEXT_OPTIONS.has(code) && !isWireText(data.toString('latin1'))) return 'is text: printable ASCII only';
  if (code === 43) return vendorOptionProblem(data);
  return null;
}

/** True for printable ASCII (0x20–0x7e): text every DHCP client reads the same. */
export function isWireText(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

/** PXE 2.1 table 2-1: sub-options EDK2 copies at a fixed size. */
const PXE_FIXED_SUBOPTIONS: ReadonlyMap<number, number> = new Map([[1, 4], [2, 2], [3, 2], [4, 1], [5, 1], [6, 1], [7, 4], [11, 8], [71, 4]]);

/** Why option 43 is not a well-formed PXE sub-option list ended by 255, or `null`. */
export function vendorOptionProblem(data: Buffer): string | null {
  let offset = 0;
  while (offset < data.length) {
    const code = data[offset]!;
    if (code === 255) return offset === data.length - 1 ? null : 'has bytes after its end sub-option (255)';
    if (code === 0) {
      offset += 1;
      continue;
    }
    if (offset + 1 >= data.length) return `sub-option ${code} has no length byte`;
    const length = data[offset + 1]!;
    if (offset + 2 + length > data.length) return `sub-option ${code} claims ${length} bytes but ${data.length - offset - 2} remain`;
    const fixed = PXE_FIXED_SUBOPTIONS.get(code);
    if (fixed !== undefined && length !== fixed) return `PXE sub-option ${code} must be ${fixed} bytes, is ${length}`;
    offset += 2 + length;
  }
  return 'does not end with sub-option 255 (PXE 2.1 encapsulated options)';
}

/**
 * Options xenboot sets itself, with the setting that controls each: a `dhcp.options` entry with one of
 * these codes would clash with (or silently replace) that value, so the config check refuses it.
 */
export const SERVER_SET_OPTIONS: ReadonlyMap<number, string> = new Map([
  [1, 'the subnet mask comes from dhcp.subnet'],
  [3, 'set it with dhcp.router'],
  [6, 'set it with dhcp.dns'],
  [12, 'host names come from dhcp.reservations[].hostname or the inventory'],
  [15, 'set it with dhcp.domain'],
  [17, 'the root path is part of the boot answer'],
  [28, 'the broadcast address comes from dhcp.subnet'],
  [42, 'set it with dhcp.ntp'],
  [50, 'it is a client option'],
  [51, 'set it with dhcp.leaseTime'],
  [52, 'overload is an encoding detail xenboot does not use'],
  [53, 'the message type is the server\'s'],
  [54, 'the server identifier is server.address'],
  [55, 'it is a client option'],
  [56, 'messages are the server\'s'],
  [57, 'it is a client option'],
  [58, 'T1 is half of dhcp.leaseTime'],
  [59, 'T2 is seven eighths of dhcp.leaseTime'],
  [60, 'xenboot answers PXEClient/HTTPClient itself'],
  [61, 'it is a client option'],
  [66, 'the TFTP server is dhcp.boot.nextServer or server.address'],
  [67, 'boot files are set with dhcp.boot and the inventory'],
  [82, 'relay information is echoed from the request'],
  [93, 'it is a client option (RFC 4578)'],
  [94, 'it is a client option (RFC 4578)'],
  [97, 'it is a client option (RFC 4578), echoed in proxy mode'],
  [209, 'set it with dhcp.pxelinux.configFile'],
  [210, 'set it with dhcp.pxelinux.pathPrefix'],
  [211, 'set it with dhcp.pxelinux.rebootTime'],
]);

const LABEL = '[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?';

/** RFC 1123 host or domain name (labels of at most 63 characters, at most 253 in all; a trailing dot allowed). */
export function isDnsName(name: string): boolean {
  return name.length <= 254 && new RegExp(`^${LABEL}(\\.${LABEL})*\\.?$`).test(name) && name.replace(/\.$/, '').length <= 253;
}
