import { describe, expect, it } from 'vitest';
import {
  decodeTftpPacket,
  encodeTftpPacket,
  tftpEncodingLength,
  TftpDecodeError,
  writeTftpDataHeader,
  type TftpPacket,
} from '../../src/tftp/codec/packet.js';

const examples: Array<[string, TftpPacket]> = [
  ['RRQ without options', { type: 'rrq', filename: 'pxelinux.0', mode: 'octet', options: [] }],
  [
    'RRQ with options (PXELINUX)',
    { type: 'rrq', filename: 'ldlinux.c32', mode: 'octet', options: [{ name: 'tsize', value: '0' }, { name: 'blksize', value: '1408' }] },
  ],
  ['RRQ with a UTF-8 name', { type: 'rrq', filename: 'grüße/€.cfg', mode: 'netascii', options: [] }],
  ['WRQ', { type: 'wrq', filename: 'upload.bin', mode: 'octet', options: [{ name: 'tsize', value: '123' }] }],
  ['DATA', { type: 'data', block: 65535, data: Buffer.from('hello') }],
  ['empty DATA', { type: 'data', block: 0, data: Buffer.alloc(0) }],
  ['ACK', { type: 'ack', block: 4242 }],
  ['ERROR', { type: 'error', code: 1, message: 'file not found' }],
  ['ERROR with empty message', { type: 'error', code: 8, message: '' }],
  ['OACK', { type: 'oack', options: [{ name: 'blksize', value: '1468' }, { name: 'windowsize', value: '4' }] }],
  ['empty OACK', { type: 'oack', options: [] }],
];

describe('TFTP packet codec', () => {
  it.each(examples)('round-trips %s and encodingLength matches', (_name, packet) => {
    const bytes = encodeTftpPacket(packet);
    expect(bytes.length).toBe(tftpEncodingLength(packet));
    expect(decodeTftpPacket(bytes)).toEqual(packet);
  });

  it('encodes an RRQ exactly as RFC 1350 §5 lays it out', () => {
    const bytes = encodeTftpPacket({ type: 'rrq', filename: 'a', mode: 'octet', options: [{ name: 'tsize', value: '0' }] });
    expect(bytes).toEqual(Buffer.from('\x00\x01a\x00octet\x00tsize\x000\x00', 'latin1'));
  });

  it('decodes from a slice of a larger buffer (byteOffset is respected)', () => {
    const big = Buffer.concat([Buffer.from('junkjunk'), encodeTftpPacket({ type: 'ack', block: 7 })]);
    expect(decodeTftpPacket(big.subarray(8))).toEqual({ type: 'ack', block: 7 });
  });

  it('keeps option names as spelled and ignores trailing NUL padding', () => {
    const bytes = Buffer.from('\x00\x01f\x00OCTET\x00BlkSize\x001024\x00\x00\x00\x00', 'latin1');
    expect(decodeTftpPacket(bytes)).toEqual({ type: 'rrq', filename: 'f', mode: 'OCTET', options: [{ name: 'BlkSize', value: '1024' }] });
  });

  it('accepts an ERROR whose message lacks the final NUL', () => {
    expect(decodeTftpPacket(Buffer.from('\x00\x05\x00\x08abort', 'latin1'))).toEqual({ type: 'error', code: 8, message: 'abort' });
  });

  it('writes a DATA header in place with the block number wrapped to 16 bits', () => {
    const buf = Buffer.alloc(8, 0xff);
    writeTftpDataHeader(buf, 2, 65536 + 3);
    expect([...buf]).toEqual([0xff, 0xff, 0, 3, 0, 3, 0xff, 0xff]);
  });

  const bad: Array<[string, string, string]> = [
    ['empty datagram', '', 'packet: 0 bytes, need at least 2'],
    ['1-byte datagram', '\x01', 'packet: 1 byte, need at least 2'],
    ['unknown opcode', '\x00\x09abc', 'packet: unknown opcode 9'],
    ['opcode 0', '\x00\x00', 'packet: unknown opcode 0'],
    ['RRQ with nothing after the opcode', '\x00\x01', 'RRQ: no filename'],
    ['RRQ with unterminated filename', '\x00\x01pxelinux.0', 'RRQ: filename not NUL-terminated'],
    ['RRQ without mode', '\x00\x01file\x00', 'RRQ: no mode'],
    ['RRQ with unterminated mode', '\x00\x01file\x00oct', 'RRQ: mode not NUL-terminated'],
    ['RRQ with empty filename', '\x00\x01\x00octet\x00', 'RRQ: empty filename'],
    ['RRQ with empty mode', '\x00\x01f\x00\x00', 'RRQ: empty mode'],
    ['RRQ with unterminated option', '\x00\x01f\x00octet\x00blksize\x001024', 'RRQ: option not NUL-terminated'],
    ['RRQ with option name but no value', '\x00\x01f\x00octet\x00blksize\x00', 'RRQ: option "blksize" has no value'],
    ['RRQ with empty option name', '\x00\x01f\x00octet\x00\x00x\x00', 'RRQ: empty option name'],
    ['WRQ with unterminated filename', '\x00\x02x', 'WRQ: filename not NUL-terminated'],
    ['short DATA', '\x00\x03\x00', 'DATA: 3 bytes, need at least 4'],
    ['short ACK', '\x00\x04\x00', 'ACK: 3 bytes, need at least 4'],
    ['short ERROR', '\x00\x05\x00', 'ERROR: 3 bytes, need at least 4'],
    ['OACK with dangling name', '\x00\x06tsize\x00', 'OACK: option "tsize" has no value'],
  ];

  it.each(bad)('rejects %s precisely', (_name, bytes, message) => {
    const decode = () => decodeTftpPacket(Buffer.from(bytes, 'latin1'));
    expect(decode).toThrow(TftpDecodeError);
    expect(decode).toThrow(message);
  });

  it('never throws anything but TftpDecodeError on random bytes', () => {
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 5000; i += 1) {
      const length = random() % 40;
      const bytes = Buffer.from(Array.from({ length }, () => (i % 3 === 0 ? random() % 8 : random())));
      try {
        decodeTftpPacket(bytes);
      } catch (error) {
        expect(error).toBeInstanceOf(TftpDecodeError);
      }
    }
  });
});
