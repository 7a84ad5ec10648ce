/**
 * The native DHCP socket's ownership filter (two-instance mode) on loopback: requests of clients in the
 * peer's RFC 3074 buckets are dropped before JavaScript sees them, with exactly the verdict of the
 * TypeScript rule (src/dhcp/ha/ownership.ts) for every datagram, and the filter follows a new mask.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { bucketOfMac } from '../../src/dhcp/ha/load-balance.js';
import { bucketMask, isForPeer } from '../../src/dhcp/ha/ownership.js';
import { Opt } from '../../src/dhcp/options.js';
import { encodePacket, MessageType, Op } from '../../src/dhcp/packet.js';
import { openPktinfoSocket, pktinfoUnavailable, type PktinfoSocket } from '../../src/dhcp/socket/pktinfo.js';
import { ipToInt } from '../../src/net/ipv4.js';

const unavailable = pktinfoUnavailable();
const SELF = '127.0.0.1';

function datagram(mac: string, type: number, xid: number, serverId?: string): Buffer {
  const options = new Map<number, Buffer>();
  if (serverId !== undefined) options.set(Opt.ServerId, Buffer.from(serverId.split('.').map(Number)));
  return encodePacket({
    op: Op.Request, htype: 1, hlen: 6, hops: 0, xid, secs: 0, flags: 0,
    ciaddr: '0.0.0.0', yiaddr: '0.0.0.0', siaddr: '0.0.0.0', giaddr: '0.0.0.0',
    chaddr: Buffer.from(mac.replaceAll(':', '').padEnd(32, '0'), 'hex'), sname: '', file: '', type, options,
  });
}

async function until(check: () => boolean, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe.skipIf(unavailable !== null)('the native DHCP socket’s ownership filter', () => {
  let socket: PktinfoSocket | undefined;
  let client: Socket | undefined;

  afterEach(() => {
    socket?.close();
    client?.close();
    socket = undefined;
    client = undefined;
  });

  it('drops the peer’s requests undecoded, with the same verdict as the TypeScript rule, and follows a new mask', async () => {
    const received: number[] = [];
    socket = openPktinfoSocket(SELF, 0, 0, (d) => received.push(d.data.readUInt32BE(4)), () => {});
    client = createSocket('udp4');
    await new Promise<void>((resolve) => client!.bind(0, SELF, resolve));
    const send = (data: Buffer) => new Promise<void>((resolve, reject) => client!.send(data, socket!.port, SELF, (error) => (error ? reject(error) : resolve())));
    // This instance answers the even buckets; "10.65.0.1" stands for its address in option 54, and the
    // loopback destination is not one of its addresses, so only the bucket and option 54 decide.
    const owner = { buckets: bucketMask((b) => b % 2 === 0), addresses: ['10.65.0.1'] };
    socket.setOwner(owner);
    const reference = { buckets: owner.buckets, addresses: owner.addresses.map(ipToInt) };
    const expected: number[] = [];
    let xid = 0;
    for (let i = 0; i < 300; i++) {
      const mac = `0a:00:${[i >> 8, i & 0xff, (i * 37) & 0xff, (i * 101) & 0xff].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
      for (const bytes of [datagram(mac, MessageType.Discover, ++xid), datagram(mac, MessageType.Request, ++xid, '10.65.0.1'), datagram(mac, MessageType.Request, ++xid, '10.65.0.2')]) {
        if (!isForPeer(bytes, ipToInt(SELF), reference)) expected.push(bytes.readUInt32BE(4));
        await send(bytes);
      }
    }
    await until(() => received.length >= expected.length);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received.sort((a, b) => a - b)).toEqual(expected);
    expect(socket.peerDrops).toBe(900 - expected.length);
    expect(socket.peerDrops).toBeGreaterThan(300);

    // A takeover: every bucket is this instance's now; then no filter at all.
    received.length = 0;
    const odd = '0a:00:00:00:00:01';
    expect(bucketOfMac(odd) % 2 === 1 || bucketOfMac('0a:00:00:00:00:02') % 2 === 1).toBe(true);
    const theirs = bucketOfMac(odd) % 2 === 1 ? odd : '0a:00:00:00:00:02';
    // The filter applies as the socket drains the kernel's queue: each datagram is let in before the next mask.
    const settle = () => new Promise((resolve) => setTimeout(resolve, 30));
    await send(datagram(theirs, MessageType.Discover, 5001));
    await settle();
    socket.setOwner({ buckets: bucketMask(() => true), addresses: owner.addresses });
    await send(datagram(theirs, MessageType.Discover, 5002));
    await settle();
    socket.setOwner({ buckets: bucketMask(() => false), addresses: owner.addresses });
    await send(datagram(theirs, MessageType.Discover, 5003));
    await settle();
    socket.setOwner(null);
    await send(datagram(theirs, MessageType.Discover, 5004));
    await until(() => received.length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received).toEqual([5002, 5004]);
  });
});
