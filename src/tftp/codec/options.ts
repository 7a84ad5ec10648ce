/**
 * Option negotiation for read requests, as a pure function: what the client asked for plus the server's
 * limits give the parameters of the transfer and the OACK to send. Rules:
 * - only options the client asked for are acknowledged (RFC 2347 §3; PXELINUX aborts on any other,
 *   tftpy ≤ 0.6.2 raises on any but blksize), spelled as the client spelled them;
 * - names are case-insensitive; the first occurrence of a duplicate wins, unknown options are ignored;
 * - absurd or malformed values make the server ignore that option (it is then simply not in the OACK),
 *   never fail the request.
 */
import type { TftpOption } from './packet.js';

/** RFC 2348: the block size a client may ask for. */
export const TFTP_MIN_BLKSIZE = 8;
/** RFC 2348: the largest block size (65535 minus IP and UDP headers). */
export const TFTP_MAX_BLKSIZE = 65464;
/** RFC 1350: the block size without options. */
export const TFTP_DEFAULT_BLKSIZE = 512;
/** RFC 7440: the largest window. */
export const TFTP_MAX_WINDOWSIZE = 65535;

/** What the server allows. */
export interface TftpOptionLimits {
  /** Upper bound for blksize (config `tftp.maxBlksize`). */
  maxBlksize: number;
  /** Upper bound for windowsize (config `tftp.maxWindowsize`). */
  maxWindowsize: number;
  /**
   * Upper bound for windowsize × blksize in payload bytes (config `tftp.maxWindowBytes`); the window is
   * lowered to fit, never below one block. Default `DEFAULT_MAX_WINDOW_BYTES`.
   */
  maxWindowBytes?: number;
}

/**
 * The default bound on a window's payload. A client's UDP receive buffer (Linux: 208 KiB) must hold a
 * whole window, and the kernel charges each datagram more than its payload (the whole buffer of every
 * frame or IP fragment). Measured with atftp over a veth pair: 12 × 8192 bytes arrive in
 * 0.1 s, 16 × 8192 (128 KiB) overflow it on every window and take 14–19 s.
 */
export const DEFAULT_MAX_WINDOW_BYTES = 96 * 1024;

/** The outcome of negotiation. */
export interface TftpNegotiation {
  blksize: number;
  windowsize: number;
  /** Retransmit timeout the client asked for (RFC 2349), in ms; `null` = the server's default. */
  timeoutMs: number | null;
  /** Options to send in an OACK, in the client's order; empty = no OACK, start with DATA 1. */
  accepted: TftpOption[];
}

// A decimal number without sign, spaces or exponent; anything longer than 10 digits is absurd anyway.
const DECIMAL = /^[0-9]{1,10}$/;

function parseDecimal(value: string): number | null {
  return DECIMAL.test(value) ? Number(value) : null;
}

/** Negotiates the options of a read request for a file of `size` bytes. */
export function negotiateTftpOptions(requested: readonly TftpOption[], size: number, limits: TftpOptionLimits): TftpNegotiation {
  const result: TftpNegotiation = { blksize: TFTP_DEFAULT_BLKSIZE, windowsize: 1, timeoutMs: null, accepted: [] };
  const seen = new Set<string>();
  const maxBlksize = Math.max(TFTP_MIN_BLKSIZE, Math.min(limits.maxBlksize, TFTP_MAX_BLKSIZE));
  const maxWindowsize = Math.max(1, Math.min(limits.maxWindowsize, TFTP_MAX_WINDOWSIZE));

  for (const option of requested) {
    const key = option.name.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    const number = parseDecimal(option.value);
    switch (key) {
      case 'blksize':
        // RFC 2348: valid requests are 8..65464; a larger request is answered with what the server
        // can do (the client must accept a smaller value), a smaller one is invalid and ignored.
        if (number === null || number < TFTP_MIN_BLKSIZE) break;
        result.blksize = Math.min(number, maxBlksize);
        result.accepted.push({ name: option.name, value: String(result.blksize) });
        break;
      case 'tsize':
        // RFC 2349 §4: in a read request the client sends 0 and the server answers with the real size.
        if (number === null) break;
        result.accepted.push({ name: option.name, value: String(size) });
        break;
      case 'timeout':
        // RFC 2349 §3: 1..255 seconds, accepted exactly or not at all.
        if (number === null || number < 1 || number > 255) break;
        result.timeoutMs = number * 1000;
        result.accepted.push({ name: option.name, value: String(number) });
        break;
      case 'windowsize':
        // RFC 7440 §3: 1..65535 blocks; the server may answer with a smaller value.
        if (number === null || number < 1) break;
        result.windowsize = Math.min(number, maxWindowsize);
        result.accepted.push({ name: option.name, value: String(result.windowsize) });
        break;
      default:
        // Unknown options are ignored (RFC 2347 §3), and so not acknowledged.
        break;
    }
  }
  // After the loop: blksize may come after windowsize in the request.
  const byBytes = Math.max(1, Math.floor((limits.maxWindowBytes ?? DEFAULT_MAX_WINDOW_BYTES) / result.blksize));
  if (result.windowsize > byBytes) {
    result.windowsize = byBytes;
    const granted = result.accepted.find((o) => o.name.toLowerCase() === 'windowsize');
    if (granted) granted.value = String(byBytes);
  }
  return result;
}
