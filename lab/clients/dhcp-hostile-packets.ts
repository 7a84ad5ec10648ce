/**
 * Datagrams built to make a DHCP decoder work hard, shared by the decode benchmark and its regression
 * test: a DISCOVER whose option area is one option (60) split into as many one-byte pieces as fit.
 */
import { HEADER_LENGTH, MAGIC_COOKIE } from '../../src/dhcp/packet.js';

/** A DISCOVER of exactly `size` bytes whose options are one-byte pieces of option 60, then End. */
export function worstCasePacket(size: number): Buffer {
  const buf = Buffer.alloc(size);
  buf[0] = 1; // BOOTREQUEST
  buf[1] = 1; // Ethernet
  buf[2] = 6;
  buf.writeUInt32BE(0x17171717, 4);
  Buffer.from([0x02, 0, 0, 0, 0x17, 0x01]).copy(buf, 28);
  buf.writeUInt32BE(MAGIC_COOKIE, HEADER_LENGTH);
  let offset = HEADER_LENGTH + 4;
  buf.set([53, 1, 1], offset);
  offset += 3;
  while (offset + 3 < size) {
    buf.set([60, 1, 0x78], offset);
    offset += 3;
  }
  buf.fill(255, offset); // End, then padding
  return buf;
}

/** An ordinary PXE DISCOVER (message type, parameter list, vendor class, architecture) of ~300 bytes. */
export function normalPacket(): Buffer {
  const buf = Buffer.alloc(300);
  buf[0] = 1;
  buf[1] = 1;
  buf[2] = 6;
  Buffer.from([0x02, 0, 0, 0, 0x17, 0x02]).copy(buf, 28);
  buf.writeUInt32BE(MAGIC_COOKIE, HEADER_LENGTH);
  const vendor = Buffer.from('PXEClient:Arch:00000:UNDI:002001');
  const options = Buffer.concat([
    Buffer.from([53, 1, 1, 55, 8, 1, 3, 6, 12, 43, 60, 66, 67, 93, 2, 0, 0, 60, vendor.length]),
    vendor,
    Buffer.from([255]),
  ]);
  options.copy(buf, HEADER_LENGTH + 4);
  return buf;
}
