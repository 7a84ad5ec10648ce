/**
 * A minimal TFTP read client over a real UDP socket, for tests that need to see the wire: which address
 * and port replies come from, the exact OACK, ERROR codes. Lock-step or windowed (ACK every `windowsize`
 * blocks); every wait is bounded.
 */
import { createSocket, type Socket } from 'node:dgram';
import { decodeTftpPacket, encodeTftpPacket, type TftpOption, type TftpPacket } from '../../src/tftp/codec/packet.js';

/** What a raw download saw. */
export interface RawDownload {
  data: Buffer;
  /** The OACK options, if the server sent one. */
  oack: TftpOption[] | null;
  /** The ERROR the server sent, if any. */
  error: { code: number; message: string } | null;
  /** Where the first reply came from (the transfer ID). */
  from: { address: string; port: number } | null;
}

/** Receives the next datagram (or null after `timeoutMs`). */
export function receive(socket: Socket, timeoutMs: number): Promise<{ packet: TftpPacket | null; raw: Buffer; address: string; port: number } | null> {
  return new Promise((resolve) => {
    const onMessage = (raw: Buffer, rinfo: { address: string; port: number }) => {
      clearTimeout(timer);
      socket.off('message', onMessage);
      let packet: TftpPacket | null = null;
      try {
        packet = decodeTftpPacket(raw);
      } catch {
        packet = null;
      }
      resolve({ packet, raw, address: rinfo.address, port: rinfo.port });
    };
    const timer = setTimeout(() => {
      socket.off('message', onMessage);
      resolve(null);
    }, timeoutMs);
    socket.on('message', onMessage);
  });
}

/** Opens a UDP socket on 127.0.0.1 (or `address`) with an ephemeral port. */
export async function openClientSocket(address = '127.0.0.1'): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind({ address, port: 0 }, () => resolve()));
  return socket;
}

/** Downloads `filename` from `host:port`; stops at the first ERROR, after the final block, or on a 5 s silence. */
export async function rawDownload(
  host: string,
  port: number,
  filename: string,
  options: TftpOption[] = [],
  settings: { windowsize?: number; socket?: Socket; onData?: (block: number, from: { address: string; port: number }) => void } = {},
): Promise<RawDownload> {
  const socket = settings.socket ?? (await openClientSocket());
  const windowsize = settings.windowsize ?? 1;
  const blksizeOption = options.find((o) => o.name.toLowerCase() === 'blksize');
  let blksize = 512;
  const result: RawDownload = { data: Buffer.alloc(0), oack: null, error: null, from: null };
  const chunks: Buffer[] = [];
  let expected = 1;
  let sinceAck = 0;
  let lastSend: Promise<void> = Promise.resolve();
  const send = (packet: TftpPacket, toPort: number) => {
    lastSend = new Promise((resolve) => socket.send(encodeTftpPacket(packet), toPort, host, () => resolve()));
  };
  try {
    send({ type: 'rrq', filename, mode: 'octet', options }, port);
    for (let i = 0; i < 2_000_000; i += 1) {
      const message = await receive(socket, 5_000);
      if (message === null) throw new Error(`timed out waiting for block ${expected} of ${filename}`);
      if (result.from === null) result.from = { address: message.address, port: message.port };
      if (message.address !== result.from.address || message.port !== result.from.port) continue;
      const packet = message.packet;
      if (packet === null) continue;
      if (packet.type === 'error') {
        result.error = { code: packet.code, message: packet.message };
        break;
      }
      if (packet.type === 'oack') {
        result.oack = packet.options;
        if (blksizeOption) blksize = Number(packet.options.find((o) => o.name.toLowerCase() === 'blksize')?.value ?? 512);
        send({ type: 'ack', block: 0 }, message.port);
        continue;
      }
      if (packet.type !== 'data') continue;
      settings.onData?.(packet.block, result.from);
      if (packet.block !== (expected & 0xffff)) {
        send({ type: 'ack', block: (expected - 1) & 0xffff }, message.port);
        sinceAck = 0;
        continue;
      }
      chunks.push(Buffer.from(packet.data));
      expected += 1;
      sinceAck += 1;
      const last = packet.data.length < blksize;
      if (last || sinceAck >= windowsize) {
        send({ type: 'ack', block: packet.block }, message.port);
        sinceAck = 0;
      }
      if (last) break;
    }
  } finally {
    // Let the final ACK leave before the socket closes.
    await lastSend;
    if (!settings.socket) socket.close();
  }
  result.data = Buffer.concat(chunks);
  return result;
}
