/**
 * TFTP option negotiation (`negotiateTftpOptions`) on a decoded read request, under server limits read
 * from the input: bytes 0–1 `maxBlksize`, 2–3 `maxWindowsize`, 4–5 `maxWindowBytes` in KiB, 6–9 the
 * file size, then the RRQ datagram. Checked: blksize and windowsize inside both the RFC's and the
 * server's bounds, the window's bytes within `maxWindowBytes` (or one block), only options the client
 * asked for acknowledged (spelling kept, once each), and the OACK decoding back to those options.
 */
import { isDeepStrictEqual } from 'node:util';
import { negotiateTftpOptions, TFTP_MAX_BLKSIZE, TFTP_MIN_BLKSIZE } from '../../src/tftp/codec/options.js';
import { decodeTftpPacket, encodeTftpPacket, TftpDecodeError, type TftpPacket } from '../../src/tftp/codec/packet.js';
import { check, type FuzzTarget } from '../engine/target.js';
import { capturedPayloads } from './seeds.js';

const LIMITS_LENGTH = 10;

/** The limits prefix most seeds carry: blksize 1468, window 16, 96 KiB, a 64 KiB file. */
function limitsPrefix(): Buffer {
  const prefix = Buffer.alloc(LIMITS_LENGTH);
  prefix.writeUInt16BE(1468, 0);
  prefix.writeUInt16BE(16, 2);
  prefix.writeUInt16BE(96, 4);
  prefix.writeUInt32BE(65536, 6);
  return prefix;
}

/** The TFTP negotiation target. */
export const tftpNegotiate: FuzzTarget = {
  name: 'tftp-negotiate',
  description: 'negotiateTftpOptions under random limits: values within bounds, only requested options acknowledged, OACK round-trips',
  maxLength: 1500,
  dictionary: ['blksize\x00', 'BLKSIZE\x00', 'tsize\x00', 'timeout\x00', 'windowsize\x00', 'WindowSize\x00', '0\x00', '1\x00', '8\x00', '7\x00', '255\x00', '256\x00', '65464\x00', '65535\x00', '1468\x00', '4294967296\x00', '99999999999\x00', '+1\x00', '1e3\x00', ' 1\x00'],
  seeds: () => capturedPayloads((_src, dst) => dst === 69).map((rrq) => Buffer.concat([limitsPrefix(), rrq])),
  run(data) {
    if (data.length < LIMITS_LENGTH) return;
    const limits = { maxBlksize: data.readUInt16BE(0), maxWindowsize: data.readUInt16BE(2), maxWindowBytes: data.readUInt16BE(4) * 1024 };
    const size = data.readUInt32BE(6);
    let packet: TftpPacket;
    try {
      packet = decodeTftpPacket(data.subarray(LIMITS_LENGTH));
    } catch (error) {
      if (error instanceof TftpDecodeError) return;
      throw error;
    }
    if (packet.type !== 'rrq') return;
    const result = negotiateTftpOptions(packet.options, size, limits);
    const maxBlksize = Math.max(TFTP_MIN_BLKSIZE, Math.min(limits.maxBlksize, TFTP_MAX_BLKSIZE));
    check(Number.isInteger(result.blksize) && result.blksize >= TFTP_MIN_BLKSIZE && result.blksize <= Math.max(512, maxBlksize), `blksize ${result.blksize} outside 8..${maxBlksize}`);
    check(Number.isInteger(result.windowsize) && result.windowsize >= 1 && result.windowsize <= Math.max(1, limits.maxWindowsize), `windowsize ${result.windowsize} outside 1..${limits.maxWindowsize}`);
    check(result.windowsize === 1 || result.windowsize * result.blksize <= limits.maxWindowBytes, `window of ${result.windowsize} × ${result.blksize} bytes exceeds ${limits.maxWindowBytes}`);
    check(result.timeoutMs === null || (result.timeoutMs >= 1000 && result.timeoutMs <= 255_000), `timeout ${result.timeoutMs} ms outside 1..255 s`);
    const names = new Set<string>();
    for (const option of result.accepted) {
      check(packet.options.some((asked) => asked.name === option.name), `OACK has "${option.name}", which the client did not ask for`);
      check(!names.has(option.name.toLowerCase()), `OACK has "${option.name}" twice`);
      names.add(option.name.toLowerCase());
      check(/^[0-9]+$/.test(option.value), `OACK value "${option.value}" for ${option.name} is not a decimal number`);
    }
    if (result.accepted.length > 0) {
      const oack = decodeTftpPacket(encodeTftpPacket({ type: 'oack', options: result.accepted }));
      check(isDeepStrictEqual(oack, { type: 'oack', options: result.accepted }), 'the OACK does not decode to the accepted options');
    }
  },
};
