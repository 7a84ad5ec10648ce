/**
 * The two-instance mode's pre-decode filter (src/dhcp/ha/ownership.ts): the RFC 3074 §6 hash on known
 * vectors, and for every kind of request the same verdict as the member (`HaMember.answers`) gives the
 * decoded packet, so dropping before decoding never drops what the member would have answered.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bucketOfMac, loadBalanceHash, rfc3074MixingTable } from '../../../src/dhcp/ha/load-balance.js';
import { startHaMember } from '../../../src/dhcp/ha/member.js';
import { bucketMask, isForPeer, type Ownership } from '../../../src/dhcp/ha/ownership.js';
import { clientMac } from '../../../src/dhcp/machine.js';
import { Opt } from '../../../src/dhcp/options.js';
import { decodePacket, encodePacket, MessageType, Op } from '../../../src/dhcp/packet.js';
import { ipToInt } from '../../../src/net/ipv4.js';
import { silentLogger } from '../../../src/log.js';

const SELF = '10.65.0.1';
const PEER = '10.65.0.2';
const BROADCAST = 0xffffffff;

/**
 * MAC → RFC 3074 bucket, computed apart from this code base (a short script over the mixing table as
 * printed in RFC 3074 §6 and, identically, in Kea's src/hooks/dhcp/high_availability/query_filter.cc).
 */
const KNOWN: Array<[string, number]> = [
  ['00:00:00:00:00:00', 254],
  ['52:54:00:12:34:56', 156],
  ['00:0c:01:00:00:00', 73],
  ['00:0c:01:00:00:01', 17],
  ['ff:ff:ff:ff:ff:ff', 79],
  ['02:00:00:aa:bb:cc', 145],
];

function datagram(mac: string, type: number, extra: { serverId?: string; giaddr?: string; htype?: number; hlen?: number; overload?: boolean } = {}): Buffer {
  const options = new Map<number, Buffer>();
  if (extra.serverId !== undefined) options.set(Opt.ServerId, Buffer.from(extra.serverId.split('.').map(Number)));
  const bytes = encodePacket({
    op: Op.Request, htype: extra.htype ?? 1, hlen: extra.hlen ?? 6, hops: 0, xid: 7, secs: 0, flags: 0,
    ciaddr: '0.0.0.0', yiaddr: '0.0.0.0', siaddr: '0.0.0.0', giaddr: extra.giaddr ?? '0.0.0.0',
    chaddr: Buffer.from(mac.replaceAll(':', '').padEnd(32, '0'), 'hex'), sname: '', file: '', type, options,
  });
  if (!extra.overload) return bytes;
  // The encoder never writes option 52 (it overloads nothing): put it in place of End, with End after it.
  const end = bytes.lastIndexOf(255);
  return Buffer.concat([bytes.subarray(0, end), Buffer.from([Opt.Overload, 1, 1, 255])]);
}

/** A MAC of the given bucket parity (bucket mod 2 = peer index of two), the `n`th found. */
function macOf(parity: number, n = 0): string {
  let found = 0;
  for (let i = 1; i < 4096; i++) {
    const mac = `02:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;
    if (bucketOfMac(mac) % 2 === parity && found++ === n) return mac;
  }
  throw new Error('no MAC');
}

describe('RFC 3074 hash', () => {
  it('uses the RFC §6 mixing table exactly (all 256 values)', () => {
    // SHA-256 of the 256 table bytes as printed in RFC 3074 §6 (and in Kea's query_filter.cc).
    expect(createHash('sha256').update(rfc3074MixingTable()).digest('hex')).toBe('50015bcb049a75f57f1224b2d303a4d75485a0de3a772a30e06256daa1c873a7');
  });

  it.each(KNOWN)('%s is in bucket %i', (mac, bucket) => {
    expect(bucketOfMac(mac)).toBe(bucket);
    expect(loadBalanceHash(datagram(mac, MessageType.Discover).subarray(28, 34))).toBe(bucket);
  });
});

describe('the pre-decode ownership filter', () => {
  const owner: Ownership = { buckets: bucketMask((b) => b % 2 === 0), addresses: [ipToInt(SELF)] };

  it('masks bucket b as bit b & 7 of byte b >> 3', () => {
    const mask = bucketMask((b) => b === 0 || b === 9 || b === 255);
    expect([...mask]).toEqual([1, 2, ...new Array<number>(29).fill(0), 0x80]);
  });

  it('keeps its own clients and drops the peer’s broadcasts', () => {
    expect(isForPeer(datagram(macOf(0), MessageType.Discover), BROADCAST, owner)).toBe(false);
    expect(isForPeer(datagram(macOf(1), MessageType.Discover), BROADCAST, owner)).toBe(true);
    expect(isForPeer(datagram(macOf(1), MessageType.Request, { serverId: PEER }), BROADCAST, owner)).toBe(true);
  });

  it('keeps the peer’s client when it chose this server (option 54) or sent to it directly, unrelayed', () => {
    expect(isForPeer(datagram(macOf(1), MessageType.Request, { serverId: SELF }), BROADCAST, owner)).toBe(false);
    expect(isForPeer(datagram(macOf(1), MessageType.Request), ipToInt(SELF), owner)).toBe(false);
    expect(isForPeer(datagram(macOf(1), MessageType.Release), ipToInt(SELF), owner)).toBe(false);
    // Relayed to this server's address: the relay's unicast, not the client's choice.
    expect(isForPeer(datagram(macOf(1), MessageType.Discover, { giaddr: '10.66.0.1' }), ipToInt(SELF), owner)).toBe(true);
    // A DISCOVER naming this server in option 54 is not a choice (only a REQUEST's is).
    expect(isForPeer(datagram(macOf(1), MessageType.Discover, { serverId: SELF }), BROADCAST, owner)).toBe(true);
  });

  it('keeps what it cannot judge from the bytes: no Ethernet chaddr, overloaded options, short or non-request datagrams', () => {
    expect(isForPeer(datagram(macOf(1), MessageType.Discover, { htype: 6 }), BROADCAST, owner)).toBe(false);
    expect(isForPeer(datagram(macOf(1), MessageType.Discover, { hlen: 16 }), BROADCAST, owner)).toBe(false);
    expect(isForPeer(datagram(macOf(1), MessageType.Request, { overload: true }), BROADCAST, owner)).toBe(false);
    const reply = datagram(macOf(1), MessageType.Discover);
    reply[0] = Op.Reply;
    expect(isForPeer(reply, BROADCAST, owner)).toBe(false);
    expect(isForPeer(Buffer.from('not dhcp'), BROADCAST, owner)).toBe(false);
  });

  it('never drops a request the member answers (1,000 clients × every message kind and destination)', async () => {
    const heartbeats = { beat: async (name: string, now: number) => [{ name, beats: 1, at: now }] };
    const member = await startHaMember({
      config: { self: 'a', peers: [{ name: 'a', address: SELF }, { name: 'b', address: PEER }], heartbeatSeconds: 1, takeoverSeconds: 5 },
      heartbeats, serverAddresses: [SELF], logger: silentLogger(), onChange: async () => {},
    });
    try {
      const filter: Ownership = { buckets: member.bucketMask(), addresses: [ipToInt(SELF)] };
      let dropped = 0;
      for (let i = 0; i < 1000; i++) {
        const mac = `0a:${[i >> 8, i & 0xff, (i * 7) & 0xff, (i * 13) & 0xff, (i * 31) & 0xff].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
        for (const [bytes, destination] of [
          [datagram(mac, MessageType.Discover), BROADCAST],
          [datagram(mac, MessageType.Request, { serverId: SELF }), BROADCAST],
          [datagram(mac, MessageType.Request, { serverId: PEER }), BROADCAST],
          [datagram(mac, MessageType.Request), ipToInt(SELF)],
          [datagram(mac, MessageType.Request, { giaddr: '10.66.0.1' }), ipToInt(SELF)],
        ] as const) {
          const packet = decodePacket(bytes);
          const answered = member.answers(packet, clientMac(packet), destination === ipToInt(SELF));
          if (isForPeer(bytes, destination, filter)) {
            dropped += 1;
            expect(answered, `${mac} type ${packet.type}`).toBe(false);
          }
        }
      }
      // About half the broadcasts are the peer's (DISCOVER, REQUEST naming the peer, the relayed one).
      expect(dropped).toBeGreaterThan(1200);
      expect(dropped).toBeLessThan(1800);
    } finally {
      await member.close();
    }
  });
});
