/**
 * The native DHCP socket on loopback: it reports the interface and local address a datagram arrived on,
 * sends out of a chosen interface, and under overload hands JavaScript the messages of exchanges already
 * begun first, then DISCOVERs newest first, and drops a DISCOVER that waited longer than its limit, unread,
 * while a REQUEST that waited as long (and anything not a DISCOVER) is still delivered.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { encodePacket, MessageType, Op } from '../../src/dhcp/packet.js';
import { interfaceIndex, openPktinfoSocket, pktinfoUnavailable, type PktinfoSocket, type ReceivedDatagram } from '../../src/dhcp/socket/pktinfo.js';

const unavailable = pktinfoUnavailable();

function request(type: number, xid: number): Buffer {
  return encodePacket({
    op: Op.Request, htype: 1, hlen: 6, hops: 0, xid, secs: 0, flags: 0,
    ciaddr: '0.0.0.0', yiaddr: '0.0.0.0', siaddr: '0.0.0.0', giaddr: '0.0.0.0',
    chaddr: Buffer.from('020000aabbcc', 'hex'), sname: '', file: '', type, options: new Map(),
  });
}

/** Blocks the event loop, so datagrams sent meanwhile wait in the kernel's receive queue. */
function busyWait(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    /* the queue fills */
  }
}

async function until(check: () => boolean, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe.skipIf(unavailable !== null)('the native DHCP socket (IP_PKTINFO)', () => {
  let socket: PktinfoSocket | undefined;
  let client: Socket | undefined;

  afterEach(() => {
    socket?.close();
    client?.close();
    socket = undefined;
    client = undefined;
  });

  const open = async (shedAfterMs: number) => {
    const received: Array<ReceivedDatagram & { xid: number }> = [];
    socket = openPktinfoSocket('127.0.0.1', 0, shedAfterMs, (d) => received.push({ ...d, data: Buffer.from(d.data), xid: d.data.length >= 8 ? d.data.readUInt32BE(4) : -1 }), () => {});
    client = createSocket('udp4');
    await new Promise<void>((resolve) => client!.bind(0, '127.0.0.1', resolve));
    return received;
  };
  const send = (data: Buffer) => new Promise<void>((resolve, reject) => client!.send(data, socket!.port, '127.0.0.1', (error) => (error ? reject(error) : resolve())));

  it('reports the arriving interface and local address, and answers out of a chosen interface', async () => {
    const received = await open(0);
    await send(request(MessageType.Discover, 1));
    await until(() => received.length === 1);
    expect(received[0]).toMatchObject({ address: '127.0.0.1', port: client!.address().port, arrival: { ifindex: interfaceIndex('lo'), destination: '127.0.0.1', local: '127.0.0.1' } });
    expect(interfaceIndex('lo')).toBeGreaterThan(0);
    expect(interfaceIndex('no-such-if0')).toBe(0);
    const answered = new Promise<Buffer>((resolve) => client!.once('message', resolve));
    expect(socket!.send(Buffer.from('reply'), '127.0.0.1', client!.address().port, { ifindex: interfaceIndex('lo'), source: '127.0.0.1' })).toBe(0);
    expect((await answered).toString()).toBe('reply');
  });

  it('drops a DISCOVER that waited past the limit before JavaScript sees it; a REQUEST and a non-DHCP datagram that waited as long still arrive', async () => {
    const received = await open(50);
    await send(request(MessageType.Discover, 10));
    await send(request(MessageType.Request, 11));
    await send(Buffer.from('not dhcp at all'));
    busyWait(150);
    await until(() => received.length >= 2);
    await send(request(MessageType.Discover, 12));
    await until(() => received.some((d) => d.xid === 12));
    expect(received.map((d) => d.xid)).toEqual([11, Buffer.from('not dhcp at all').readUInt32BE(4), 12]);
    expect(socket!.shed).toBe(1);
  });

  it('with no age limit, waiting DISCOVERs are all delivered, newest first, after the other messages', async () => {
    const received = await open(0);
    await send(request(MessageType.Discover, 20));
    await send(request(MessageType.Discover, 21));
    await send(request(MessageType.Release, 22));
    await send(request(MessageType.Discover, 23));
    busyWait(150);
    await until(() => received.length === 4);
    expect(received.map((d) => d.xid)).toEqual([22, 23, 21, 20]);
    expect(socket!.shed).toBe(0);
  });

  it('while DISCOVERs are held, every other message is delivered and DISCOVERs wait (and age out) in the ring; released, the fresh ones follow', async () => {
    const received = await open(200);
    socket!.holdDiscovers(true);
    await send(request(MessageType.Discover, 30));
    await send(request(MessageType.Request, 31));
    await until(() => received.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await send(request(MessageType.Discover, 32));
    await send(request(MessageType.Release, 33));
    await until(() => received.length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(received.map((d) => d.xid)).toEqual([31, 33]);
    socket!.holdDiscovers(false);
    await until(() => received.length >= 3);
    await new Promise((resolve) => setTimeout(resolve, 30));
    // 30 waited past the 200 ms limit while held: shed unread; 32 is delivered once released.
    expect(received.map((d) => d.xid)).toEqual([31, 33, 32]);
    expect(socket!.shed).toBe(1);
  });
});
