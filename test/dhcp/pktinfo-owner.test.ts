/**
 * The native DHCP socket's ownership filter (two-instance mode) on loopback: requests of clients in the
 * peer's RFC 3074 buckets are dropped before JavaScript sees them, with exactly the verdict of the
 * TypeScript rule (src/dhcp/ha/ownership.ts) for every datagram, and the filter follows a new mask.
 * Where the kernel takes the eBPF copy of the filter (native/peer_bpf.c; root here), the peer's requests
 * are dropped there, before the socket's queue: the user-space filter then sees none of them, and the
 * two together still keep exactly what the rule keeps, for well-formed and malformed datagrams alike.
 */
import { createSocket, type Socket } from 'node:dgram';
import fc from 'fast-check';
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
    expect(900 - expected.length).toBeGreaterThan(300);
    // Dropped in the kernel when it took the filter, else here; counted either way.
    expect(socket.peerDrops).toBe(900 - expected.length);
    expect(socket.kernelPeerDrops).toBe(socket.kernelFilter === '' ? 900 - expected.length : 0);

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

  it('keeps exactly what the rule keeps for varied and malformed requests, dropping the peer’s in the kernel where it can', async () => {
    const received = new Set<number>();
    socket = openPktinfoSocket(SELF, 0, 0, (d) => received.add(d.data.length >= 8 ? d.data.readUInt32BE(4) : -1), () => {});
    client = createSocket('udp4');
    await new Promise<void>((resolve) => client!.bind(0, SELF, resolve));
    const send = (data: Buffer) => new Promise<void>((resolve, reject) => client!.send(data, socket!.port, SELF, (error) => (error ? reject(error) : resolve())));
    // Sent to 127.0.0.1, which is one of this instance's addresses in half the rounds (a unicast to it).
    const option = fc.oneof(
      fc.record({ code: fc.constant(53), value: fc.uint8Array({ minLength: 0, maxLength: 2 }) }),
      fc.record({ code: fc.constant(54), value: fc.oneof(fc.constantFrom(...['10.65.0.1', '10.65.0.2', SELF, '0.0.0.0'].map((a) => Uint8Array.from(a.split('.').map(Number)))), fc.uint8Array({ maxLength: 6 })) }),
      fc.record({ code: fc.constantFrom(0, 12, 50, 52, 55, 60, 61, 93, 97, 255), value: fc.uint8Array({ maxLength: 8 }) }),
    );
    const request = fc.record({
      mac: fc.uint8Array({ minLength: 6, maxLength: 6 }),
      op: fc.constantFrom(1, 1, 1, 2),
      hlen: fc.constantFrom(6, 6, 6, 16),
      giaddr: fc.constantFrom(0, 0, ipToInt('10.65.9.1')),
      cookie: fc.constantFrom(true, true, true, false),
      type: fc.constantFrom(1, 3, 3, 7, 8),
      typeFirst: fc.boolean(),
      options: fc.array(option, { maxLength: 22 }),
      end: fc.boolean(),
      cut: fc.nat({ max: 12 }),
    });
    for (const [round, addresses] of [['10.65.0.1'], ['10.65.0.1', SELF]].entries()) {
      const owner = { buckets: bucketMask((b) => b % 2 === round), addresses };
      socket.setOwner(owner);
      const reference = { buckets: owner.buckets, addresses: addresses.map(ipToInt) };
      received.clear();
      const dropsBefore = socket.peerDrops;
      const kernelBefore = socket.kernelPeerDrops;
      const expected = new Set<number>();
      let forPeer = 0;
      const samples = fc.sample(request, { numRuns: 1500, seed: 2107 + round });
      for (const [i, r] of samples.entries()) {
        const xid = (round + 1) * 100_000 + i;
        const head = Buffer.alloc(240);
        head[0] = r.op;
        head[1] = 1;
        head[2] = r.hlen;
        head.writeUInt32BE(xid, 4);
        head.writeUInt32BE(r.giaddr, 24);
        Buffer.from(r.mac).copy(head, 28);
        if (r.cookie) head.writeUInt32BE(0x63825363, 236);
        const pieces: number[] = r.typeFirst ? [53, 1, r.type] : [];
        for (const o of r.options) pieces.push(...(o.code === 0 || o.code === 255 ? [o.code] : [o.code, o.value.length, ...o.value]));
        if (!r.typeFirst) pieces.push(53, 1, r.type);
        if (r.end) pieces.push(255);
        const whole = Buffer.concat([head, Buffer.from(pieces)]);
        // Some datagrams are cut short (a truncated option at the end), but never below the xid.
        const bytes = whole.subarray(0, Math.max(240, whole.length - (r.cut > 8 ? r.cut - 8 : 0)));
        if (isForPeer(bytes, ipToInt(SELF), reference)) forPeer += 1;
        else expected.add(xid);
        await send(bytes);
        // Paced, so the socket's staging ring never fills and sheds a DISCOVER (that is overload, tested elsewhere).
        if (i % 100 === 99) await until(() => received.size >= expected.size, 1_000);
      }
      await until(() => [...expected].every((x) => received.has(x)));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect([...received].filter((x) => !expected.has(x)), 'kept but the peer’s').toEqual([]);
      expect([...expected].filter((x) => !received.has(x)), 'the rule keeps it, but it was dropped').toEqual([]);
      expect(forPeer).toBeGreaterThan(100);
      expect(socket.shed).toBe(0);
      expect(socket.peerDrops - dropsBefore).toBe(forPeer);
      // The kernel judged almost all of the peer's; what it cannot read (more options than it walks) is left to user space.
      if (socket.kernelFilter === '') expect(socket.kernelPeerDrops - kernelBefore).toBeGreaterThan(forPeer * 0.9);
      else expect(socket.kernelPeerDrops).toBe(0);
    }
  });

  it('takes the kernel filter where the kernel allows it (root, eBPF), and says why not otherwise', () => {
    socket = openPktinfoSocket(SELF, 0, 0, () => {}, () => {});
    expect(socket.kernelFilter).toBe('not requested');
    socket.setOwner({ buckets: bucketMask((b) => b % 2 === 0), addresses: ['10.65.0.1'] });
    if (process.getuid?.() === 0) expect(socket.kernelFilter).toBe('');
    else expect(socket.kernelFilter).not.toBe('');
    // More addresses than the kernel filter holds: the filter stays in user space.
    socket.setOwner({ buckets: bucketMask((b) => b % 2 === 0), addresses: Array.from({ length: 9 }, (_, i) => `10.65.0.${i + 1}`) });
    expect(socket.kernelFilter).toMatch(/more addresses/);
  });
});
