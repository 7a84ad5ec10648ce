/**
 * TFTP packet codec (RFC 1350 §5, option extension RFC 2347 §2–3). Pure: bytes in, typed packets out and
 * back, with precise errors naming the packet and the problem. No sockets, config, logging or policy
 * (which options to accept lives in `options.ts`).
 */

/** Opcodes (RFC 1350 §5; OACK from RFC 2347 §3). */
export const TftpOpcode = { Rrq: 1, Wrq: 2, Data: 3, Ack: 4, Error: 5, Oack: 6 } as const;

/** Error codes (RFC 1350 appendix; 8 from RFC 2347 §4). */
export const TftpErrorCode = {
  NotDefined: 0,
  FileNotFound: 1,
  AccessViolation: 2,
  DiskFull: 3,
  IllegalOperation: 4,
  UnknownTransferId: 5,
  FileExists: 6,
  NoSuchUser: 7,
  OptionRefused: 8,
} as const;

/** One option as it appears on the wire: name and value strings, spelling preserved. */
export interface TftpOption {
  name: string;
  value: string;
}

/** A read or write request: `filename\0mode\0[name\0value\0]…`. */
export interface TftpRequestPacket {
  type: 'rrq' | 'wrq';
  filename: string;
  mode: string;
  options: TftpOption[];
}

/** A DATA packet: block number and 0..blksize payload bytes. */
export interface TftpDataPacket {
  type: 'data';
  block: number;
  data: Buffer;
}

/** An ACK packet. */
export interface TftpAckPacket {
  type: 'ack';
  block: number;
}

/** An ERROR packet. */
export interface TftpErrorPacket {
  type: 'error';
  code: number;
  message: string;
}

/** An option acknowledgement (RFC 2347 §3): the options the server accepted. */
export interface TftpOackPacket {
  type: 'oack';
  options: TftpOption[];
}

/** Any TFTP packet. */
export type TftpPacket = TftpRequestPacket | TftpDataPacket | TftpAckPacket | TftpErrorPacket | TftpOackPacket;

/** Thrown by `decodeTftpPacket` for bytes that are not a valid packet. */
export class TftpDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TftpDecodeError';
  }
}

const OPCODE_NAMES: Record<number, string> = { 1: 'RRQ', 2: 'WRQ', 3: 'DATA', 4: 'ACK', 5: 'ERROR', 6: 'OACK' };

/** `RRQ`, `DATA`, … for an opcode, or `opcode N` for unknown ones (for logs and errors). */
export function tftpOpcodeName(opcode: number): string {
  return OPCODE_NAMES[opcode] ?? `opcode ${opcode}`;
}

/** Reads NUL-terminated strings from `buf` starting at `offset`. */
function readStrings(buf: Buffer, offset: number, what: string): string[] {
  const strings: string[] = [];
  let start = offset;
  while (start < buf.length) {
    const end = buf.indexOf(0, start);
    if (end === -1) {
      const field = strings.length === 0 ? 'filename' : strings.length === 1 ? 'mode' : 'option';
      throw new TftpDecodeError(`${what}: ${field} not NUL-terminated`);
    }
    strings.push(buf.toString('utf8', start, end));
    start = end + 1;
  }
  return strings;
}

/** Pairs strings into options; a trailing run of empty strings (NUL padding some ROMs add) is ignored. */
function pairOptions(strings: string[], what: string): TftpOption[] {
  let count = strings.length;
  while (count > 0 && strings[count - 1] === '') count -= 1;
  const options: TftpOption[] = [];
  for (let i = 0; i < count; i += 2) {
    const name = strings[i]!;
    const value = strings[i + 1];
    if (value === undefined) throw new TftpDecodeError(`${what}: option "${name}" has no value`);
    if (name === '') throw new TftpDecodeError(`${what}: empty option name`);
    options.push({ name, value });
  }
  return options;
}

/** Decodes one datagram. Throws `TftpDecodeError` with a precise message for malformed input. */
export function decodeTftpPacket(buf: Buffer): TftpPacket {
  if (buf.length < 2) throw new TftpDecodeError(`packet: ${buf.length} byte${buf.length === 1 ? '' : 's'}, need at least 2`);
  const opcode = buf.readUInt16BE(0);
  switch (opcode) {
    case TftpOpcode.Rrq:
    case TftpOpcode.Wrq: {
      const what = tftpOpcodeName(opcode);
      const strings = readStrings(buf, 2, what);
      if (strings.length === 0) throw new TftpDecodeError(`${what}: no filename`);
      if (strings.length === 1) throw new TftpDecodeError(`${what}: no mode`);
      const [filename, mode, ...rest] = strings as [string, string, ...string[]];
      if (filename === '') throw new TftpDecodeError(`${what}: empty filename`);
      if (mode === '') throw new TftpDecodeError(`${what}: empty mode`);
      return { type: opcode === TftpOpcode.Rrq ? 'rrq' : 'wrq', filename, mode, options: pairOptions(rest, what) };
    }
    case TftpOpcode.Data:
      if (buf.length < 4) throw new TftpDecodeError(`DATA: ${buf.length} bytes, need at least 4`);
      return { type: 'data', block: buf.readUInt16BE(2), data: buf.subarray(4) };
    case TftpOpcode.Ack:
      if (buf.length < 4) throw new TftpDecodeError(`ACK: ${buf.length} bytes, need at least 4`);
      return { type: 'ack', block: buf.readUInt16BE(2) };
    case TftpOpcode.Error: {
      if (buf.length < 4) throw new TftpDecodeError(`ERROR: ${buf.length} bytes, need at least 4`);
      const end = buf.indexOf(0, 4);
      // Some clients omit the final NUL of the message; RFC 1350 requires it, but the code is what matters.
      const message = buf.toString('utf8', 4, end === -1 ? buf.length : end);
      return { type: 'error', code: buf.readUInt16BE(2), message };
    }
    case TftpOpcode.Oack:
      return { type: 'oack', options: pairOptions(readStrings(buf, 2, 'OACK'), 'OACK') };
    default:
      throw new TftpDecodeError(`packet: unknown opcode ${opcode}`);
  }
}

function stringsLength(strings: readonly string[]): number {
  let length = 0;
  for (const s of strings) length += Buffer.byteLength(s, 'utf8') + 1;
  return length;
}

function optionStrings(options: readonly TftpOption[]): string[] {
  return options.flatMap((o) => [o.name, o.value]);
}

/** Bytes `encodeTftpPacket(packet)` produces. */
export function tftpEncodingLength(packet: TftpPacket): number {
  switch (packet.type) {
    case 'rrq':
    case 'wrq':
      return 2 + stringsLength([packet.filename, packet.mode, ...optionStrings(packet.options)]);
    case 'data':
      return 4 + packet.data.length;
    case 'ack':
      return 4;
    case 'error':
      return 4 + stringsLength([packet.message]);
    case 'oack':
      return 2 + stringsLength(optionStrings(packet.options));
  }
}

function writeStrings(buf: Buffer, offset: number, strings: readonly string[]): number {
  for (const s of strings) {
    offset += buf.write(s, offset, 'utf8');
    buf[offset++] = 0;
  }
  return offset;
}

/** Encodes a packet into a new buffer of exactly `tftpEncodingLength(packet)` bytes. */
export function encodeTftpPacket(packet: TftpPacket): Buffer {
  const buf = Buffer.allocUnsafe(tftpEncodingLength(packet));
  switch (packet.type) {
    case 'rrq':
    case 'wrq':
      buf.writeUInt16BE(packet.type === 'rrq' ? TftpOpcode.Rrq : TftpOpcode.Wrq, 0);
      writeStrings(buf, 2, [packet.filename, packet.mode, ...optionStrings(packet.options)]);
      break;
    case 'data':
      buf.writeUInt16BE(TftpOpcode.Data, 0);
      buf.writeUInt16BE(packet.block, 2);
      packet.data.copy(buf, 4);
      break;
    case 'ack':
      buf.writeUInt16BE(TftpOpcode.Ack, 0);
      buf.writeUInt16BE(packet.block, 2);
      break;
    case 'error':
      buf.writeUInt16BE(TftpOpcode.Error, 0);
      buf.writeUInt16BE(packet.code, 2);
      writeStrings(buf, 4, [packet.message]);
      break;
    case 'oack':
      buf.writeUInt16BE(TftpOpcode.Oack, 0);
      writeStrings(buf, 2, optionStrings(packet.options));
      break;
  }
  return buf;
}

/** Writes a DATA header (opcode 3, block) at `offset` of `buf`, in place: the hot path's zero-copy encoder. */
export function writeTftpDataHeader(buf: Buffer, offset: number, block: number): void {
  buf.writeUInt16BE(TftpOpcode.Data, offset);
  buf.writeUInt16BE(block & 0xffff, offset + 2);
}
