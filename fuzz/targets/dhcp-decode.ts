/**
 * The DHCP decoder and what the server reads from every datagram before any policy: `decodePacket`,
 * the machine a request describes (`machineFromRequest`: options 60, 61, 77, 93, 97, 50) and the log
 * dump (`describePacket`). Bad datagrams must give `DhcpDecodeError` and nothing else; a decoded packet
 * must encode to bytes that decode to the same packet (option 52's overload folded into the main area).
 */
import { isDeepStrictEqual } from 'node:util';
import { describePacket } from '../../src/dhcp/describe.js';
import { machineFromRequest } from '../../src/dhcp/machine.js';
import { DhcpDecodeError } from '../../src/dhcp/options.js';
import { decodePacket, encodePacket, MAX_DHCP_DATAGRAM, type DhcpPacket } from '../../src/dhcp/packet.js';
import { check, type FuzzTarget } from '../engine/target.js';
import { capturedPayloads } from './seeds.js';

const DHCP_PORTS = [67, 68, 4011];

function decodeOrNull(data: Buffer): DhcpPacket | null {
  try {
    return decodePacket(data);
  } catch (error) {
    if (error instanceof DhcpDecodeError) return null;
    throw error;
  }
}

/** The DHCP decoding target. */
export const dhcpDecode: FuzzTarget = {
  name: 'dhcp-decode',
  description: 'decodePacket, machineFromRequest, describePacket; decode → encode → decode is stable',
  maxLength: MAX_DHCP_DATAGRAM + 16,
  dictionary: [
    '\x63\x82\x53\x63', // magic cookie
    '\x35\x01\x01', '\x35\x01\x03', '\x35\x01\x04', // DISCOVER, REQUEST, DECLINE
    '\x34\x01\x01', '\x34\x01\x02', '\x34\x01\x03', // overload: file, sname, both
    '\x3c\x09PXEClient', '\x3c\x0aHTTPClient',
    '\x4d\x04iPXE', '\x4d\x05\x04iPXE',
    '\x5d\x02\x00\x07', '\x5d\x02\x00\x00', '\x5d\x02\x00\x10',
    '\x61\x11\x00', '\x3d\x07\x01', '\x32\x04', '\x37', '\xaf', '\xff', '\x00',
  ],
  seeds: () => capturedPayloads((src, dst) => DHCP_PORTS.includes(src) && DHCP_PORTS.includes(dst)),
  run(data) {
    const packet = decodeOrNull(data);
    if (packet === null) return;
    machineFromRequest(packet);
    describePacket(packet);
    // The encoder writes NUL-terminated sname/file; the decoder takes up to the full field when a
    // client fills it without a NUL (RFC 2131 calls both "null terminated"), which cannot go back.
    if (Buffer.byteLength(packet.sname, 'latin1') > 63 || Buffer.byteLength(packet.file, 'latin1') > 127) return;
    const again = decodeOrNull(encodePacket(packet));
    check(again !== null, 'a decoded packet re-encodes to bytes the decoder refuses');
    check(isDeepStrictEqual(again, packet), () => `decode(encode(p)) differs from p:\n${describePacket(packet)}\n---\n${describePacket(again)}`);
  },
};
