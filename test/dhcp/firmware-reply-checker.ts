/**
 * A strict, independent reader of DHCP replies: what the pickiest firmware parser in the field accepts.
 * It shares no code with xenboot's codec (`src/dhcp/packet.ts`, `options.ts`); it walks the bytes itself
 * and returns every rule a reply breaks, so a property failure names all of them at once.
 *
 * The rules and where they come from:
 * - Size (RFC 2131 §2, RFC 2132 §9.10): at most 548 bytes of DHCP message (576-byte IP datagram) unless the
 *   request's option 57 allows more (its value counts IP and UDP headers; never more than one 1500-byte
 *   Ethernet frame, 1472 bytes, which is also EDK2's cache buffer, `PXEBC_DHCP4_PACKET_MAX_SIZE`). A relay
 *   removes option 82 before forwarding (RFC 3046 §2.2), so it does not count towards the client's size.
 *   At least 300 bytes (BOOTP's minimum, RFC 1542 §2.1; some PXE ROMs drop shorter ones).
 * - `sname` (64 bytes) and `file` (128 bytes) hold NUL-terminated printable text and zeros after the NUL:
 *   PXE ROMs and EDK2 (`PxeBcParseDhcp4Packet`) read `file` as a C string.
 * - One option area, ended by End (255), with only zero padding after it; EDK2 `DhcpIterateBufferOptions`
 *   refuses an area without End.
 * - No option appears twice: options longer than 255 bytes would be split (RFC 3396), and EDK2's PXE
 *   driver (`PxeBcParseDhcp4Options`), PXE ROMs and udhcpc 0.9.8 read only the first piece. No option 52
 *   (overload) and no empty option.
 * - Every option EDK2's `DhcpOptionFormats` table knows has the length and values that table allows:
 *   EDK2 before 2024 (`DhcpValidateOptions`) dropped the whole packet for one malformed option.
 * - Option 43, when present, is a well-formed PXE sub-option list ended by 255, each fixed-size sub-option
 *   at its size: EDK2 `PxeBcParseVendorOptions` copies fixed sizes without checking the length
 *   (the 2026 NetworkPkg option-parsing advisories, edk2 PR #12809).
 * - Option 67 is not NUL-terminated on the wire, so EDK2 writes a NUL after it (`PxeBcParseDhcp4Packet`:
 *   "force to append null terminated character"): it must be the last option before End (or before
 *   option 82, which the relay strips), so that byte is End and no other option is damaged.
 * - Text options are printable ASCII (RFC 2132 §2 NVT ASCII); host names follow RFC 1123.
 * - Echo rules: 60 only to a PXE/HTTP client, as `PXEClient`/`HTTPClient` (PXE 2.1 §2.2; UEFI 2.10
 *   §24.7); 97 only when the client sent a well-formed one (RFC 4578 §2.3: type 0 and 16 bytes), byte for
 *   byte; 82 only when relayed with one, byte for byte and last (RFC 3046 §2.2); 93, 94, 50, 55, 57, 61 never.
 * - A NAK carries only 53, 54, 56 (and 82), no `file`/`sname`, no addresses (RFC 2131 §4.3.1 table 3); an
 *   ACK to INFORM no lease times (§4.3.5).
 */

/** The request a reply answers, as the checker needs it (raw option bytes by code, first piece only). */
export interface CheckedRequest {
  xid: number;
  chaddr: Buffer;
  htype: number;
  hlen: number;
  giaddr: string;
  /** The request's options, concatenated per code. */
  options: Map<number, Buffer>;
}

/** What the checker is told about the exchange (never how xenboot built the reply). */
export interface CheckContext {
  request: CheckedRequest;
  serverAddress: string;
  /** The message type the reply should have (2 OFFER, 5 ACK, 6 NAK). */
  expectType: number;
  /** The request was an INFORM. */
  inform?: boolean;
  /** The boot file the server says it handed; it must be on the wire, whole, in `file` or option 67. */
  bootFile?: string;
}

/** A reply read by the checker. */
export interface CheckedReply {
  type: number | undefined;
  file: string;
  sname: string;
  yiaddr: string;
  siaddr: string;
  /** Options in wire order (code, data). */
  options: Array<{ code: number; data: Buffer }>;
}

/** Largest DHCP message one Ethernet frame carries (1500 − 20 IP − 8 UDP). */
export const FRAME_LIMIT = 1472;

/** RFC 2131 §2: 576-byte IP datagram − 28 bytes of IP and UDP headers. */
export const DEFAULT_LIMIT = 548;

/** The size limit a request sets (option 57 when legal, else 548; never past one frame). */
export function sizeLimit(request: CheckedRequest): number {
  const mms = request.options.get(57);
  if (mms === undefined || mms.length !== 2) return DEFAULT_LIMIT;
  const value = mms.readUInt16BE(0);
  if (value < 576) return DEFAULT_LIMIT;
  return Math.min(value - 28, FRAME_LIMIT);
}

type Unit = 'ip' | 'i8' | 'i16' | 'i32' | 'switch' | 'ippair';

/**
 * EDK2 NetworkPkg/Dhcp4Dxe/Dhcp4Option.c `DhcpOptionFormats`: code → unit, min and max count (-1 = any).
 * Read from the source, restated here as data.
 */
const EDK2_FORMATS: ReadonlyMap<number, [Unit, number, number]> = new Map([
  [1, ['ip', 1, 1]], [2, ['i32', 1, 1]], [3, ['ip', 1, -1]], [4, ['ip', 1, -1]], [5, ['ip', 1, -1]], [6, ['ip', 1, -1]],
  [7, ['ip', 1, -1]], [8, ['ip', 1, -1]], [9, ['ip', 1, -1]], [10, ['ip', 1, -1]], [11, ['ip', 1, -1]],
  [12, ['i8', 1, -1]], [13, ['i16', 1, 1]], [14, ['i8', 1, -1]], [15, ['i8', 1, -1]], [16, ['ip', 1, 1]],
  [17, ['i8', 1, -1]], [18, ['i8', 1, -1]], [19, ['switch', 1, 1]], [20, ['switch', 1, 1]], [21, ['ippair', 1, -1]],
  [22, ['i16', 1, 1]], [23, ['i8', 1, 1]], [24, ['i32', 1, 1]], [25, ['i16', 1, -1]], [26, ['i16', 1, 1]],
  [27, ['switch', 1, 1]], [28, ['ip', 1, 1]], [29, ['switch', 1, 1]], [30, ['switch', 1, 1]], [31, ['switch', 1, 1]],
  [32, ['ip', 1, 1]], [33, ['ippair', 1, -1]], [34, ['switch', 1, 1]], [35, ['i32', 1, 1]], [36, ['switch', 1, 1]],
  [37, ['i8', 1, 1]], [38, ['i32', 1, 1]], [39, ['switch', 1, 1]], [40, ['i8', 1, -1]], [41, ['ip', 1, -1]],
  [42, ['ip', 1, -1]], [43, ['i8', 1, -1]], [44, ['ip', 1, -1]], [45, ['ip', 1, -1]], [46, ['i8', 1, 1]],
  [47, ['i8', 1, -1]], [48, ['ip', 1, -1]], [49, ['ip', 1, -1]], [50, ['ip', 1, 1]], [51, ['i32', 1, 1]],
  [52, ['i8', 1, 1]], [53, ['i8', 1, 1]], [54, ['ip', 1, 1]], [55, ['i8', 1, -1]], [56, ['i8', 1, -1]],
  [57, ['i16', 1, 1]], [58, ['i32', 1, 1]], [59, ['i32', 1, 1]], [60, ['i8', 1, -1]], [61, ['i8', 2, -1]],
  [64, ['i8', 1, -1]], [65, ['ip', 1, -1]], [66, ['i8', 1, -1]], [67, ['i8', 1, -1]], [68, ['ip', 0, -1]],
  [69, ['ip', 1, -1]], [70, ['ip', 1, -1]], [71, ['ip', 1, -1]], [72, ['ip', 1, -1]], [73, ['ip', 1, -1]],
  [74, ['ip', 1, -1]], [75, ['ip', 1, -1]], [76, ['ip', 1, -1]], [121, ['i8', 5, -1]],
]);

const UNIT_BYTES: Record<Unit, number> = { ip: 4, i8: 1, i16: 2, i32: 4, switch: 1, ippair: 8 };

/** PXE 2.1 table 2-1 sub-options EDK2 copies at a fixed size (`PxeBcParseVendorOptions`). */
const PXE_FIXED_SUBOPTIONS: ReadonlyMap<number, number> = new Map([[1, 4], [2, 2], [3, 2], [4, 1], [5, 1], [6, 1], [7, 4], [11, 8], [71, 4]]);

/** Options that carry NVT ASCII text (RFC 2132, PXELINUX 209/210). */
const TEXT_OPTIONS = new Set([12, 14, 15, 17, 18, 40, 47, 56, 60, 64, 66, 67, 209, 210]);

/** Options a server never sends (client-only, or an encoding detail xenboot does not use). */
const NEVER_SENT = new Set([50, 52, 55, 57, 61, 93, 94]);

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function ipAt(buf: Buffer, offset: number): string {
  return `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`;
}

function printable(buf: Buffer): boolean {
  return buf.every((b) => b >= 0x20 && b <= 0x7e);
}

/** A fixed text field: printable text, a NUL within the field, zeros after it. */
function checkTextField(buf: Buffer, start: number, size: number, name: string, problems: string[]): string {
  const field = buf.subarray(start, start + size);
  const nul = field.indexOf(0);
  if (nul === -1) {
    problems.push(`${name} has no NUL within its ${size} bytes`);
    return field.toString('latin1');
  }
  const text = field.subarray(0, nul);
  if (!printable(text)) problems.push(`${name} holds non-printable bytes: ${text.toString('hex')}`);
  if (field.subarray(nul).some((b) => b !== 0)) problems.push(`${name} has bytes after its NUL`);
  return text.toString('latin1');
}

function checkVendorOption(data: Buffer, problems: string[]): void {
  let offset = 0;
  let ended = false;
  while (offset < data.length) {
    const code = data[offset]!;
    if (code === 255) {
      ended = true;
      if (data.subarray(offset + 1).some((b) => b !== 0)) problems.push('option 43 has bytes after its end sub-option');
      break;
    }
    if (code === 0) {
      offset += 1;
      continue;
    }
    if (offset + 1 >= data.length) {
      problems.push(`option 43 sub-option ${code} has no length byte`);
      return;
    }
    const length = data[offset + 1]!;
    if (offset + 2 + length > data.length) {
      problems.push(`option 43 sub-option ${code} claims ${length} bytes, ${data.length - offset - 2} remain`);
      return;
    }
    const fixed = PXE_FIXED_SUBOPTIONS.get(code);
    if (fixed !== undefined && length !== fixed) problems.push(`option 43 sub-option ${code} is ${length} bytes; EDK2 copies ${fixed}`);
    if (code === 10 && length < 1) problems.push('option 43 sub-option 10 (menu prompt) is empty');
    if (code === 12 && length % 4 !== 0) problems.push('option 43 sub-option 12 is not a multiple of 4 bytes');
    offset += 2 + length;
  }
  if (!ended) problems.push('option 43 has no end sub-option (255)');
}

/** Reads and checks one reply; returns the reply and every rule it breaks (empty when it passes). */
export function checkReply(bytes: Buffer, ctx: CheckContext): { reply: CheckedReply; problems: string[] } {
  const problems: string[] = [];
  const reply: CheckedReply = { type: undefined, file: '', sname: '', yiaddr: '', siaddr: '', options: [] };
  const { request } = ctx;
  if (bytes.length < 241) return { reply, problems: [`reply is ${bytes.length} bytes, shorter than a BOOTP header, cookie and End`] };
  if (bytes.length < 300) problems.push(`reply is ${bytes.length} bytes, under BOOTP's 300-byte minimum`);
  if (bytes[0] !== 2) problems.push(`op is ${bytes[0]}, not BOOTREPLY`);
  if (bytes[1] !== request.htype || bytes[2] !== request.hlen) problems.push('htype/hlen differ from the request');
  if (bytes[3] !== 0) problems.push(`hops is ${bytes[3]}`);
  if (bytes.readUInt32BE(4) !== request.xid) problems.push('xid differs from the request');
  if (!bytes.subarray(28, 44).equals(request.chaddr)) problems.push('chaddr differs from the request');
  if (ipAt(bytes, 24) !== request.giaddr) problems.push(`giaddr ${ipAt(bytes, 24)} is not the request's ${request.giaddr}`);
  if (bytes.readUInt32BE(236) !== 0x63825363) problems.push('no magic cookie');
  reply.yiaddr = ipAt(bytes, 16);
  reply.siaddr = ipAt(bytes, 20);
  reply.sname = checkTextField(bytes, 44, 64, 'sname', problems);
  reply.file = checkTextField(bytes, 108, 128, 'file', problems);

  // The option area: TLVs up to End, then zero padding only.
  let offset = 240;
  let ended = false;
  while (offset < bytes.length) {
    const code = bytes[offset]!;
    if (code === 255) {
      ended = true;
      if (bytes.subarray(offset + 1).some((b) => b !== 0)) problems.push('bytes other than padding after End');
      break;
    }
    if (code === 0) {
      offset += 1;
      continue;
    }
    if (offset + 1 >= bytes.length) {
      problems.push(`option ${code} at ${offset} has no length byte`);
      break;
    }
    const length = bytes[offset + 1]!;
    if (offset + 2 + length > bytes.length) {
      problems.push(`option ${code} at ${offset} claims ${length} bytes, ${bytes.length - offset - 2} remain`);
      break;
    }
    reply.options.push({ code, data: Buffer.from(bytes.subarray(offset + 2, offset + 2 + length)) });
    offset += 2 + length;
  }
  if (!ended) problems.push('no End option');

  const byCode = new Map<number, Buffer>();
  for (const { code, data } of reply.options) {
    if (byCode.has(code)) problems.push(`option ${code} appears more than once (split or repeated)`);
    else byCode.set(code, data);
    if (data.length === 0) problems.push(`option ${code} is empty`);
    if (NEVER_SENT.has(code)) problems.push(`option ${code} is never sent by a server`);
    const format = EDK2_FORMATS.get(code);
    if (format) {
      const [unit, min, max] = format;
      const size = UNIT_BYTES[unit];
      const count = data.length / size;
      if (data.length % size !== 0) problems.push(`option ${code} is ${data.length} bytes, not whole ${size}-byte units (EDK2 format)`);
      else if (count < min || (max !== -1 && count > max)) problems.push(`option ${code} has ${count} units, EDK2 accepts ${min}–${max === -1 ? 'any' : max}`);
      if (unit === 'switch' && data.some((b) => b > 1)) problems.push(`option ${code} is a switch with a value other than 0/1`);
    }
    if (TEXT_OPTIONS.has(code) && !printable(data)) problems.push(`option ${code} is not printable ASCII: ${data.toString('hex')}`);
  }

  // Size, as the client sees it (the relay strips option 82).
  const relayInfo = byCode.get(82);
  const clientSize = bytes.length - (relayInfo ? relayInfo.length + 2 : 0);
  const limit = sizeLimit(request);
  if (clientSize > limit) problems.push(`reply is ${clientSize} bytes to the client, over its limit of ${limit}`);
  if (bytes.length > FRAME_LIMIT) problems.push(`reply is ${bytes.length} bytes, more than one Ethernet frame`);

  const type = byCode.get(53);
  reply.type = type?.[0];
  if (reply.options[0]?.code !== 53) problems.push('option 53 is not the first option');
  if (reply.type !== ctx.expectType) problems.push(`message type ${reply.type}, expected ${ctx.expectType}`);
  const serverId = byCode.get(54);
  if (serverId === undefined || ipAt(serverId, 0) !== ctx.serverAddress) problems.push('option 54 missing or not the server address');

  // Echo rules.
  const requestVendor = request.options.get(60)?.toString('latin1') ?? '';
  const vendor = byCode.get(60)?.toString('latin1');
  if (vendor !== undefined) {
    if (vendor !== 'PXEClient' && vendor !== 'HTTPClient') problems.push(`option 60 is ${JSON.stringify(vendor)}`);
    else if (!requestVendor.startsWith(vendor)) problems.push(`option 60 ${vendor} sent to a client that said ${JSON.stringify(requestVendor)}`);
  }
  const uuid = byCode.get(97);
  if (uuid !== undefined) {
    const asked = request.options.get(97);
    if (asked === undefined || asked.length !== 17 || asked[0] !== 0) problems.push('option 97 echoed for a request without a well-formed 97');
    else if (!uuid.equals(asked)) problems.push('option 97 differs from the request\'s');
  }
  const requestRelay = request.options.get(82);
  if (relayInfo !== undefined || requestRelay !== undefined) {
    if (request.giaddr === '0.0.0.0') problems.push('option 82 in a reply to an unrelayed request');
    else if (relayInfo === undefined || requestRelay === undefined || !relayInfo.equals(requestRelay)) problems.push('option 82 not echoed byte for byte');
    else if (reply.options.at(-1)?.code !== 82) problems.push('option 82 is not the last option');
  }

  // Option 43: a PXE sub-option list, parsed by EDK2 when 60 says PXEClient.
  const vendorOptions = byCode.get(43);
  if (vendorOptions !== undefined) checkVendorOption(vendorOptions, problems);

  // Option 67 and the boot file.
  const bootOption = byCode.get(67);
  if (bootOption !== undefined) {
    const last = reply.options.filter((o) => o.code !== 82).at(-1);
    if (last?.code !== 67) problems.push('option 67 is not the last option before End (EDK2 writes a NUL after it)');
    if (reply.file !== '' && bootOption.toString('latin1') !== reply.file) problems.push('option 67 and file name different boot files');
  }
  if (ctx.bootFile !== undefined) {
    const onWire = bootOption?.toString('latin1') ?? reply.file;
    if (onWire !== ctx.bootFile) problems.push(`boot file on the wire is ${JSON.stringify(onWire)}, the server handed ${JSON.stringify(ctx.bootFile)}`);
  }
  const hostname = byCode.get(12);
  if (hostname !== undefined && !HOSTNAME.test(hostname.toString('latin1'))) problems.push(`option 12 ${JSON.stringify(hostname.toString('latin1'))} is not an RFC 1123 host name`);

  if (ctx.expectType === 6) {
    for (const { code } of reply.options) if (![53, 54, 56, 82].includes(code)) problems.push(`NAK carries option ${code}`);
    if (reply.file !== '' || reply.sname !== '') problems.push('NAK has file or sname');
    if (reply.yiaddr !== '0.0.0.0' || reply.siaddr !== '0.0.0.0') problems.push('NAK has yiaddr or siaddr');
  }
  if (ctx.inform) {
    for (const code of [51, 58, 59]) if (byCode.has(code)) problems.push(`ACK to INFORM carries option ${code}`);
    if (reply.yiaddr !== '0.0.0.0') problems.push('ACK to INFORM has a yiaddr');
  }
  const lease = byCode.get(51);
  const t1 = byCode.get(58);
  const t2 = byCode.get(59);
  if (lease?.length === 4 && t1?.length === 4 && t2?.length === 4) {
    if (!(t1.readUInt32BE(0) <= t2.readUInt32BE(0) && t2.readUInt32BE(0) <= lease.readUInt32BE(0))) problems.push('T1 ≤ T2 ≤ lease time does not hold');
  }
  return { reply, problems };
}

/** Reads a request's raw bytes into what `checkReply` needs (independent of xenboot's decoder). */
export function readRequest(bytes: Buffer): CheckedRequest {
  const options = new Map<number, Buffer>();
  let offset = 240;
  while (offset < bytes.length) {
    const code = bytes[offset]!;
    if (code === 255) break;
    if (code === 0) {
      offset += 1;
      continue;
    }
    const length = bytes[offset + 1]!;
    const data = bytes.subarray(offset + 2, offset + 2 + length);
    const previous = options.get(code);
    options.set(code, previous ? Buffer.concat([previous, data]) : Buffer.from(data));
    offset += 2 + length;
  }
  return { xid: bytes.readUInt32BE(4), chaddr: Buffer.from(bytes.subarray(28, 44)), htype: bytes[1]!, hlen: bytes[2]!, giaddr: ipAt(bytes, 24), options };
}
