/**
 * The DHCP side of pypxeboot: the patched udhcpc 0.9.8 it runs in dom0 (`udhcpc -n -q -M <domU mac>`),
 * as captured in boot-protocols.md §1.3. It sends from dom0's interface with the domU's MAC as `chaddr`
 * and option 61, no broadcast flag, vendor class "udhcp 0.9.8", parameter list 1,3,6,12,15,28, in a
 * 548-byte BOOTP payload; DISCOVER and REQUEST are each tried 3 times (2 s, 2 s, 4 s); an OFFER without
 * option 54 is ignored; it quits after the ACK without a RELEASE. A reply sent by unicast to the domU's
 * MAC or leased address never reaches dom0, so only a broadcast reply gets a lease here, as in real life.
 */
import { createSocket } from 'node:dgram';

const COOKIE = 0x63825363;

/** The lease as udhcpc's script would print it (`ip=`, `siaddr=`, `boot_file=`, …). */
export interface UdhcpLease {
  ip: string;
  siaddr: string;
  serverId: string;
  bootFile: string;
  /** Total IP length of the ACK (udhcpc 0.9.8 drops anything over 576). */
  ipTotalLength: number;
}

function macBytes(mac: string): number[] {
  return mac.split(':').map((h) => parseInt(h, 16));
}

function ipText(b: Buffer, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

/** A udhcp 0.9.8 DISCOVER or REQUEST (pure). */
export function encodeUdhcp(mac: string, xid: number, request?: { ip: string; server: string }): Buffer {
  const packet = Buffer.alloc(548);
  packet[0] = 1;
  packet[1] = 1;
  packet[2] = 6;
  packet.writeUInt32BE(xid >>> 0, 4);
  Buffer.from(macBytes(mac)).copy(packet, 28);
  packet.writeUInt32BE(COOKIE, 236);
  const options: number[] = [53, 1, request ? 3 : 1];
  if (request) options.push(50, 4, ...request.ip.split('.').map(Number), 54, 4, ...request.server.split('.').map(Number));
  options.push(61, 7, 1, ...macBytes(mac));
  const vendor = [...Buffer.from('udhcp 0.9.8')];
  options.push(60, vendor.length, ...vendor, 55, 6, 1, 3, 6, 12, 15, 28, 255);
  Buffer.from(options).copy(packet, 240);
  return packet;
}

/** Reads message type, server id and the fields udhcpc passes to its script; `null` for non-replies. */
export function decodeUdhcpReply(packet: Buffer): { xid: number; type?: number; serverId?: string; yiaddr: string; siaddr: string; file: string; chaddr: string } | null {
  if (packet.length < 240 || packet[0] !== 2 || packet.readUInt32BE(236) !== COOKIE) return null;
  const reply: ReturnType<typeof decodeUdhcpReply> & object = {
    xid: packet.readUInt32BE(4),
    yiaddr: ipText(packet, 16),
    siaddr: ipText(packet, 20),
    file: packet.subarray(108, 236).toString('latin1').replace(/\0.*$/s, ''),
    chaddr: [...packet.subarray(28, 34)].map((b) => b.toString(16).padStart(2, '0')).join(':'),
  };
  for (let o = 240; o < packet.length && packet[o] !== 255; ) {
    if (packet[o] === 0) {
      o += 1;
      continue;
    }
    const code = packet[o]!;
    const length = packet[o + 1] ?? 0;
    if (code === 53) reply.type = packet[o + 2];
    if (code === 54 && length === 4) reply.serverId = ipText(packet, o + 2);
    o += 2 + length;
  }
  return reply;
}

/** Runs DISCOVER/OFFER/REQUEST/ACK for `mac` from this network namespace's port 68; rejects like `udhcpc -n`. */
export async function udhcpLease(mac: string): Promise<UdhcpLease> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(68, '0.0.0.0', () => resolve());
  });
  socket.setBroadcast(true);
  const xid = (Math.random() * 0xffffffff) >>> 0;
  const exchange = (packet: Buffer, want: number) =>
    new Promise<{ reply: NonNullable<ReturnType<typeof decodeUdhcpReply>>; length: number }>((resolve, reject) => {
      const timeouts = [2_000, 2_000, 4_000];
      let attempt = 0;
      let timer: NodeJS.Timeout | undefined;
      const onMessage = (message: Buffer) => {
        const reply = decodeUdhcpReply(message);
        if (!reply || reply.xid !== xid || reply.type !== want) return;
        if (reply.serverId === undefined) return; // "No server ID in message"
        clearTimeout(timer);
        socket.off('message', onMessage);
        resolve({ reply, length: message.length + 28 });
      };
      socket.on('message', onMessage);
      const send = () => {
        if (attempt >= timeouts.length) {
          socket.off('message', onMessage);
          reject(new Error(`udhcpc could not get a lease (no ${want === 2 ? 'OFFER' : 'ACK'} after ${attempt} tries)`));
          return;
        }
        socket.send(packet, 67, '255.255.255.255');
        timer = setTimeout(send, timeouts[attempt]);
        attempt += 1;
      };
      send();
    });
  try {
    const offer = await exchange(encodeUdhcp(mac, xid), 2);
    const ack = await exchange(encodeUdhcp(mac, xid, { ip: offer.reply.yiaddr, server: offer.reply.serverId! }), 5);
    return { ip: ack.reply.yiaddr, siaddr: ack.reply.siaddr, serverId: ack.reply.serverId!, bootFile: ack.reply.file, ipTotalLength: ack.length };
  } finally {
    socket.close();
  }
}
