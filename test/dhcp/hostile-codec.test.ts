/**
 * The decoder against datagrams built to hurt it (issue 17, item 3): one option split into thousands of
 * one-byte pieces (RFC 3396 concatenation must stay linear) and datagrams larger than any client sends.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeOptionArea, DhcpDecodeError, Opt, type DhcpOptions } from '../../src/dhcp/options.js';
import { decodePacket, MAX_DHCP_DATAGRAM } from '../../src/dhcp/packet.js';
import { worstCasePacket } from '../../lab/clients/dhcp-hostile-packets.js';

afterEach(() => vi.restoreAllMocks());

describe('hostile DHCP datagrams', () => {
  it('refuses a datagram larger than any real client sends, naming the limit', () => {
    const packet = worstCasePacket(65_507);
    expect(() => decodePacket(packet)).toThrow(DhcpDecodeError);
    expect(() => decodePacket(packet)).toThrow(`larger than the ${MAX_DHCP_DATAGRAM}-byte limit`);
  });

  it('decodes the largest accepted datagram of one-byte pieces with one concatenation per option', () => {
    const packet = worstCasePacket(MAX_DHCP_DATAGRAM);
    const concat = vi.spyOn(Buffer, 'concat');
    const decoded = decodePacket(packet);
    const pieces = MAX_DHCP_DATAGRAM - 240 - 4; // header + cookie, then message type (3) and End (1)
    expect(decoded.options.get(Opt.VendorClass)!.length).toBe(Math.floor(pieces / 3));
    // Before: one Buffer.concat per piece (quadratic copying); now one per option that was split.
    expect(concat.mock.calls.length).toBeLessThanOrEqual(1);
  });

  it('concatenates pieces in order across the option area, file and sname (RFC 3396 §5)', () => {
    const area = Buffer.from([60, 1, 0x61, 60, 2, 0x62, 0x63, 12, 1, 0x68, 60, 1, 0x64, 255]);
    const into: DhcpOptions = new Map();
    decodeOptionArea(area, 0, area.length, into, 'test');
    expect(into.get(Opt.VendorClass)!.toString()).toBe('abcd');
    expect(into.get(Opt.HostName)!.toString()).toBe('h');
  });
});
