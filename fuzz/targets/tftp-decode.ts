/**
 * The TFTP decoder and the first steps of a read request: `decodeTftpPacket` on any datagram, then for
 * a request the path rule (`normaliseContentPath`). Bad datagrams must give `TftpDecodeError`, bad
 * names `ContentDenied`; a decoded packet must encode to bytes that decode to the same packet, and a
 * normalised path must stay under the root (no `..`, no leading `/`, no `\`, no control character).
 */
import { isDeepStrictEqual } from 'node:util';
import { normaliseContentPath } from '../../src/content/path.js';
import { ContentDenied } from '../../src/content/types.js';
import { decodeTftpPacket, encodeTftpPacket, TftpDecodeError, type TftpPacket } from '../../src/tftp/codec/packet.js';
import { check, type FuzzTarget } from '../engine/target.js';
import { capturedPayloads } from './seeds.js';

function decodeOrNull(data: Buffer): TftpPacket | null {
  try {
    return decodeTftpPacket(data);
  } catch (error) {
    if (error instanceof TftpDecodeError) return null;
    throw error;
  }
}

/** Checks the path rule's promise on one requested name. */
export function checkNormalisedPath(filename: string): string | null {
  let path: string;
  try {
    path = normaliseContentPath(filename);
  } catch (error) {
    if (error instanceof ContentDenied) return null;
    throw error;
  }
  check(path.length > 0, `"${filename}" normalised to an empty path`);
  check(!path.startsWith('/') && !path.includes('\\'), `"${filename}" normalised to "${path}" (leading / or a backslash)`);
  check(!path.split('/').some((c) => c === '..' || c === '.' || c === ''), `"${filename}" normalised to "${path}" (., .. or empty component)`);
  check(!/[\u0000-\u001f\u007f]/.test(path), `"${filename}" normalised to a path with a control character`);
  return path;
}

/** The TFTP decoding target. */
export const tftpDecode: FuzzTarget = {
  name: 'tftp-decode',
  description: 'decodeTftpPacket and normaliseContentPath; decode → encode → decode is stable, paths stay under the root',
  maxLength: 1500,
  dictionary: ['\x00\x01', '\x00\x02', '\x00\x03', '\x00\x04', '\x00\x05', '\x00\x06', '\x00', 'octet\x00', 'netascii\x00', 'blksize\x00', 'tsize\x00', 'timeout\x00', 'windowsize\x00', '1468\x00', '0\x00', '/', '\\', '..', '.', 'pxelinux.cfg/'],
  seeds: () => capturedPayloads((_src, dst) => dst === 69),
  run(data) {
    const packet = decodeOrNull(data);
    if (packet === null) return;
    const again = decodeOrNull(encodeTftpPacket(packet));
    check(again !== null, `a decoded ${packet.type} re-encodes to bytes the decoder refuses`);
    check(isDeepStrictEqual(again, packet), () => `decode(encode(p)) differs from p: ${JSON.stringify(packet)} vs ${JSON.stringify(again)}`);
    if (packet.type === 'rrq' || packet.type === 'wrq') checkNormalisedPath(packet.filename);
  },
};
