/**
 * DHCP options (RFC 2132): the code table, the TLV codec with pad/end and RFC 3396 long-option
 * splitting/concatenation, and typed getters that check lengths. Pure: no sockets, config or logging.
 */
import { ipFromBytes, parseQuad } from '../net/ipv4.js';

/** Option codes xenboot reads or writes, with the wire type in a comment. */
export const Opt = {
  Pad: 0,
  SubnetMask: 1, // ip
  TimeOffset: 2, // i32
  Router: 3, // ips
  DomainServer: 6, // ips
  HostName: 12, // text
  DomainName: 15, // text
  RootPath: 17, // text
  BroadcastAddress: 28, // ip
  NtpServers: 42, // ips
  VendorSpecific: 43, // bytes (PXE sub-options)
  RequestedIp: 50, // ip
  LeaseTime: 51, // u32 seconds
  Overload: 52, // u8: 1 file, 2 sname, 3 both (RFC 2132 §9.3)
  MessageType: 53, // u8
  ServerId: 54, // ip
  ParameterList: 55, // u8[]
  Message: 56, // text
  MaxMessageSize: 57, // u16 (RFC 2132 §9.10)
  RenewalTime: 58, // u32
  RebindingTime: 59, // u32
  VendorClass: 60, // text
  ClientId: 61, // bytes
  TftpServer: 66, // text
  BootFile: 67, // text
  UserClass: 77, // text (iPXE sends "iPXE"; RFC 3004 form also seen)
  RelayAgent: 82, // bytes (RFC 3046)
  ClientArch: 93, // u16[] (RFC 4578 §2.1)
  ClientNdi: 94, // 3 bytes (RFC 4578 §2.2)
  ClientUuid: 97, // type byte + 16 bytes (RFC 4578 §2.3)
  IpxeEncap: 175, // bytes (iPXE feature list)
  PxelinuxConfigFile: 209, // text
  PxelinuxPathPrefix: 210, // text
  PxelinuxRebootTime: 211, // u32
  End: 255,
} as const;

const NAMES = new Map<number, string>(Object.entries(Opt).map(([name, code]) => [code, name]));

/** The option's name for logs and golden dumps (`BootFile`), or `Option<code>` when unknown. */
export function optionName(code: number): string {
  return NAMES.get(code) ?? `Option${code}`;
}

/** Options of one message: code → payload, concatenated when the option was split (RFC 3396). Insertion order is kept. */
export type DhcpOptions = Map<number, Buffer>;

/** Thrown by the decoder with a precise reason; the socket loop counts it and drops the packet. */
export class DhcpDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DhcpDecodeError';
  }
}

/**
 * The option areas of one datagram read so far, and the total payload length of each option in them.
 * Options are concatenated once, after every area has been read (`joinOptionPieces`), by a second walk
 * over the areas that copies each byte once: concatenating at each piece made a datagram of thousands of
 * one-byte pieces of one option cost quadratic time, and keeping a list per piece cost memory per piece.
 */
export interface OptionPieces {
  buf: Buffer;
  /** `[start, end)` of each area walked, in RFC 3396 §5 order. */
  areas: Array<{ start: number; end: number }>;
  /** Code → payload bytes over every piece; codes removed here are skipped by `joinOptionPieces`. */
  lengths: Map<number, number>;
}

/** An empty collection over `buf`. */
export function optionPieces(buf: Buffer): OptionPieces {
  return { buf, areas: [], lengths: new Map() };
}

/**
 * Walks the TLV options of `pieces.buf[start, end)`, checking every length and adding up each option's
 * payload. Stops at End (255); Pad (0) is skipped. Throws `DhcpDecodeError` when an option runs past the end.
 */
export function collectOptionArea(pieces: OptionPieces, start: number, end: number, area: string): void {
  const buf = pieces.buf;
  let offset = start;
  while (offset < end) {
    const code = buf[offset]!;
    if (code === Opt.End) break;
    if (code === Opt.Pad) {
      offset += 1;
      continue;
    }
    if (offset + 1 >= end) throw new DhcpDecodeError(`option ${code} in ${area} at offset ${offset} has no length byte`);
    const length = buf[offset + 1]!;
    const dataStart = offset + 2;
    if (dataStart + length > end) {
      throw new DhcpDecodeError(
        `option ${code} in ${area} at offset ${offset} claims ${length} bytes of payload, but only ${end - dataStart} remain`,
      );
    }
    pieces.lengths.set(code, (pieces.lengths.get(code) ?? 0) + length);
    offset = dataStart + length;
  }
  pieces.areas.push({ start, end: offset });
}

/** Copies the payload of every option in `targets` out of the areas, in order (lengths were checked by `collectOptionArea`). */
function copyPieces(pieces: OptionPieces, targets: Map<number, { data: Buffer; offset: number }>): void {
  const buf = pieces.buf;
  for (const { start, end } of pieces.areas) {
    let offset = start;
    while (offset < end) {
      const code = buf[offset]!;
      if (code === Opt.Pad) {
        offset += 1;
        continue;
      }
      const length = buf[offset + 1]!;
      const target = targets.get(code);
      if (target) target.offset += buf.copy(target.data, target.offset, offset + 2, offset + 2 + length);
      offset += 2 + length;
    }
  }
}

/**
 * Concatenates each option's pieces (RFC 3396 §5) into `into`, after any value `into` holds for that
 * code. Every byte is copied once, so the whole decode is linear in the datagram's size.
 */
export function joinOptionPieces(pieces: OptionPieces, into: DhcpOptions): void {
  const targets = new Map<number, { data: Buffer; offset: number }>();
  for (const [code, length] of pieces.lengths) {
    const previous = into.get(code);
    // Every byte is written below (the lengths are the pieces' sum), so no zero fill: a slice of Node's
    // buffer pool instead of an ArrayBuffer of its own per option.
    const data = Buffer.allocUnsafe((previous?.length ?? 0) + length);
    targets.set(code, { data, offset: previous ? previous.copy(data, 0) : 0 });
    into.set(code, data);
  }
  copyPieces(pieces, targets);
}

/** Removes one option from `pieces` and returns its concatenated payload (`undefined` when absent). */
export function takeOption(pieces: OptionPieces, code: number): Buffer | undefined {
  const length = pieces.lengths.get(code);
  if (length === undefined) return undefined;
  pieces.lengths.delete(code);
  const target = { data: Buffer.allocUnsafe(length), offset: 0 };
  copyPieces(pieces, new Map([[code, target]]));
  return target.data;
}

/**
 * Reads TLV options from `buf[start, end)` into `into`, concatenating repeated codes (RFC 3396 §5).
 * Stops at End (255). Pad (0) is skipped. Throws `DhcpDecodeError` when an option runs past the end.
 */
export function decodeOptionArea(buf: Buffer, start: number, end: number, into: DhcpOptions, area: string): void {
  const pieces = optionPieces(buf);
  collectOptionArea(pieces, start, end, area);
  joinOptionPieces(pieces, into);
}

/** Bytes `encodeOptionArea` writes for `options`, End included. Long options count one header per 255-byte piece. */
export function optionsEncodingLength(options: DhcpOptions): number {
  let length = 1; // End
  for (const [code, data] of options) {
    if (code === Opt.Pad || code === Opt.End) continue;
    const pieces = Math.max(1, Math.ceil(data.length / 255));
    length += pieces * 2 + data.length;
  }
  return length;
}

/**
 * Writes options as TLVs followed by End, splitting any option longer than 255 bytes into consecutive
 * pieces with the same code (RFC 3396 §6). Returns the offset after End.
 */
export function encodeOptionArea(options: DhcpOptions, buf: Buffer, offset: number): number {
  for (const [code, data] of options) {
    if (code === Opt.Pad || code === Opt.End) continue;
    let position = 0;
    do {
      const piece = Math.min(255, data.length - position);
      buf[offset] = code;
      buf[offset + 1] = piece;
      data.copy(buf, offset + 2, position, position + piece);
      offset += 2 + piece;
      position += piece;
    } while (position < data.length);
  }
  buf[offset] = Opt.End;
  return offset + 1;
}

/** Thrown by a typed getter when an option has the wrong length for its type. */
export class OptionSizeError extends Error {
  constructor(code: number, expected: string, actual: number) {
    super(`option ${code} (${optionName(code)}) must be ${expected}, got ${actual} bytes`);
    this.name = 'OptionSizeError';
  }
}

/** Option as an unsigned 16-bit integer (network order). */
export function getUint16(options: DhcpOptions, code: number): number | undefined {
  const data = options.get(code);
  if (data === undefined) return undefined;
  if (data.length !== 2) throw new OptionSizeError(code, '2 bytes', data.length);
  return data.readUInt16BE(0);
}

/** Option as an unsigned 32-bit integer (network order). */
export function getUint32(options: DhcpOptions, code: number): number | undefined {
  const data = options.get(code);
  if (data === undefined) return undefined;
  if (data.length !== 4) throw new OptionSizeError(code, '4 bytes', data.length);
  return data.readUInt32BE(0);
}

/** Option as one IPv4 address in dotted form. */
export function getIp(options: DhcpOptions, code: number): string | undefined {
  const data = options.get(code);
  if (data === undefined) return undefined;
  if (data.length !== 4) throw new OptionSizeError(code, '4 bytes', data.length);
  return ipFromBytes(data);
}

/** Option as a list of IPv4 addresses. */
export function getIps(options: DhcpOptions, code: number): string[] | undefined {
  const data = options.get(code);
  if (data === undefined) return undefined;
  if (data.length === 0 || data.length % 4 !== 0) throw new OptionSizeError(code, 'a non-empty multiple of 4 bytes', data.length);
  const out: string[] = [];
  for (let i = 0; i < data.length; i += 4) out.push(ipFromBytes(data, i));
  return out;
}

/** Option as text (latin1, so every byte survives), with trailing NULs removed (some clients NUL-terminate). */
export function getText(options: DhcpOptions, code: number): string | undefined {
  const data = options.get(code);
  if (data === undefined) return undefined;
  return data.toString('latin1').replace(/\0+$/, '');
}

/** Encodes one IPv4 address (dotted) as 4 bytes. */
export function ipBytes(ip: string): Buffer {
  const value = parseQuad(ip);
  if (value < 0) return Buffer.from(ip.split('.').map(Number));
  const bytes = Buffer.allocUnsafe(4);
  bytes.writeUInt32BE(value, 0);
  return bytes;
}

/** Encodes a list of IPv4 addresses. */
export function ipsBytes(ips: readonly string[]): Buffer {
  return Buffer.concat(ips.map(ipBytes));
}

/** Encodes an unsigned 32-bit integer. */
export function uint32Bytes(value: number): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeUInt32BE(value >>> 0, 0);
  return buf;
}

/** Encodes an unsigned 16-bit integer. */
export function uint16Bytes(value: number): Buffer {
  const buf = Buffer.alloc(2);
  buf.writeUInt16BE(value & 0xffff, 0);
  return buf;
}
