/**
 * A TFTP read client that behaves like tftpy, the library pypxeboot 0.0.3 downloads with
 * (boot-protocols.md §1.4): octet mode, `blksize 512` as tftpy 0.4.6–0.5.x sends it (or no options, as
 * 0.6.x), packets from any address other than the server's are discarded, an OACK carrying an option it
 * did not ask for is an error, and any failure (ERROR packet, timeout) is an exception. Every wait is
 * bounded.
 */
import { createSocket } from 'node:dgram';

/** Thrown for every failed download (pypxeboot treats all of them as "not found"). */
export class TftpyError extends Error {}

/** Options of one download. */
export interface TftpyGetOptions {
  host: string;
  port: number;
  /** Send `blksize 512` like tftpy 0.4.6–0.5.x (default), or no options like 0.6.x. */
  sendBlksize?: boolean;
  /** Per-packet timeout (tftpy: 5 s); kept short in tests. */
  timeoutMs?: number;
  retries?: number;
}

function rrq(name: string, withBlksize: boolean): Buffer {
  const parts = [Buffer.from([0, 1]), Buffer.from(`${name}\0octet\0`)];
  if (withBlksize) parts.push(Buffer.from('blksize\x00512\x00'));
  return Buffer.concat(parts);
}

/** Downloads `name`; resolves with its bytes or rejects with `TftpyError`. */
export function tftpyGet(name: string, options: TftpyGetOptions): Promise<Buffer> {
  const { host, port, sendBlksize = true, timeoutMs = 2000, retries = 3 } = options;
  const socket = createSocket('udp4');
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let expected = 1;
    let blksize = 512;
    let tid: number | null = null;
    let lastSent = rrq(name, sendBlksize);
    let lastPort = port;
    let attempts = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (error: Error | null, data?: Buffer) => {
      clearTimeout(timer);
      socket.close();
      if (error) reject(error);
      else resolve(data!);
    };
    const send = (packet: Buffer, toPort: number) => {
      lastSent = packet;
      lastPort = toPort;
      attempts = 0;
      socket.send(packet, toPort, host);
      arm();
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        attempts += 1;
        if (attempts > retries) return finish(new TftpyError(`timeout waiting for ${name}`));
        socket.send(lastSent, lastPort, host);
        arm();
      }, timeoutMs);
    };
    const ack = (block: number) => {
      const packet = Buffer.alloc(4);
      packet.writeUInt16BE(4, 0);
      packet.writeUInt16BE(block & 0xffff, 2);
      return packet;
    };
    socket.on('error', (error) => finish(new TftpyError(error.message)));
    socket.on('message', (msg, rinfo) => {
      // tftpy: `raddress != self.host` → discard.
      if (rinfo.address !== host || msg.length < 4) return;
      if (tid === null) tid = rinfo.port;
      else if (rinfo.port !== tid) return;
      const opcode = msg.readUInt16BE(0);
      if (opcode === 5) {
        return finish(new TftpyError(`server error ${msg.readUInt16BE(2)}: ${msg.subarray(4).toString().replace(/\0.*$/s, '')}`));
      }
      if (opcode === 6) {
        const fields = msg.subarray(2).toString('latin1').split('\0').filter((f) => f !== '');
        for (let i = 0; i + 1 < fields.length; i += 2) {
          const option = fields[i]!.toLowerCase();
          if (option !== 'blksize' || !sendBlksize) return finish(new TftpyError(`Unsupported option: ${option}`));
          blksize = Number(fields[i + 1]);
        }
        return send(ack(0), tid);
      }
      if (opcode === 3) {
        const block = msg.readUInt16BE(2);
        if (block !== (expected & 0xffff)) {
          // A duplicate of the previous block: acknowledge it again.
          if (block === ((expected - 1) & 0xffff)) socket.send(ack(block), tid, host);
          return;
        }
        const data = msg.subarray(4);
        chunks.push(data);
        expected += 1;
        if (data.length < blksize) {
          clearTimeout(timer);
          socket.send(ack(block), tid, host, () => finish(null, Buffer.concat(chunks)));
          return;
        }
        return send(ack(block), tid);
      }
    });
    socket.bind(0, () => send(lastSent, port));
  });
}
