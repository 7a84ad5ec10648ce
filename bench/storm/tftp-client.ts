/**
 * A TFTP read as PXELINUX does it (boot-protocols.md §2.5): RRQ `octet` with `tsize 0` and `blksize`,
 * ACK 0 after the OACK, lock-step ACKs, retransmission of the last packet on a timeout, and replies
 * accepted only from the server address the RRQ went to (RFC 1350, 2347, 2348, 2349). Payload is counted,
 * not kept.
 */
import { createSocket, type RemoteInfo } from 'node:dgram';
import type { TftpReadOptions, TftpReadResult } from '../../lab/clients/tftp-get.js';

function rrq(file: string, blksize: number | undefined): Buffer {
  const parts = [Buffer.from([0, 1]), Buffer.from(`${file}\0octet\0`)];
  if (blksize) parts.push(Buffer.from(`tsize\x000\0blksize\0${blksize}\0`));
  return Buffer.concat(parts);
}

function ack(block: number): Buffer {
  const packet = Buffer.alloc(4);
  packet.writeUInt16BE(4, 0);
  packet.writeUInt16BE(block & 0xffff, 2);
  return packet;
}

function parseOack(packet: Buffer): Map<string, string> {
  const fields = packet.subarray(2).toString('latin1').split('\0');
  const options = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) options.set(fields[i]!.toLowerCase(), fields[i + 1]!);
  return options;
}

/** Reads one file; never rejects (failures are in the result). */
export function tftpRead(options: TftpReadOptions): Promise<TftpReadResult> {
  const { server, port = 69, localAddress, file, blksize, timeoutMs = 1_000, retries = 6 } = options;
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    let serverPort = 0;
    let expected = 1;
    let size = 512;
    let bytes = 0;
    let tsize: number | undefined;
    let retransmits = 0;
    let tries = 0;
    let last = rrq(file, blksize);
    let lastPort = port;
    let timer: NodeJS.Timeout | undefined;
    let done = false;

    const finish = (result: Omit<TftpReadResult, 'retransmits'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      resolve({ ...result, retransmits });
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (tries >= retries) {
          finish({ found: false, bytes, tsize, error: `timeout after ${tries} retransmissions (block ${expected})` });
          return;
        }
        tries += 1;
        retransmits += 1;
        socket.send(last, lastPort, server);
        arm();
      }, timeoutMs * 2 ** tries);
    };
    const send = (packet: Buffer, toPort: number) => {
      last = packet;
      lastPort = toPort;
      tries = 0;
      socket.send(packet, toPort, server);
      arm();
    };

    socket.on('error', (error) => finish({ found: false, bytes, error: error.message }));
    socket.on('message', (packet: Buffer, from: RemoteInfo) => {
      if (from.address !== server || packet.length < 4) return;
      if (serverPort === 0) serverPort = from.port;
      else if (from.port !== serverPort) return;
      const opcode = packet.readUInt16BE(0);
      if (opcode === 5) {
        const code = packet.readUInt16BE(2);
        const message = packet.subarray(4).toString('latin1').replace(/\0.*$/s, '');
        finish({ found: false, bytes, error: `ERROR ${code} ${message}` });
      } else if (opcode === 6 && expected === 1 && bytes === 0) {
        const oack = parseOack(packet);
        if (oack.has('blksize')) size = Number(oack.get('blksize'));
        if (oack.has('tsize')) tsize = Number(oack.get('tsize'));
        send(ack(0), serverPort);
      } else if (opcode === 3) {
        const block = packet.readUInt16BE(2);
        if (block === (expected & 0xffff)) {
          const length = packet.length - 4;
          bytes += length;
          expected += 1;
          if (length < size) {
            // Close only once the last ACK is sent: dgram sends are asynchronous.
            clearTimeout(timer);
            socket.send(ack(block), serverPort, server, () => finish({ found: true, bytes, tsize }));
          } else send(ack(block), serverPort);
        } else if (block === ((expected - 1) & 0xffff)) {
          socket.send(ack(block), serverPort, server); // our ACK was lost: repeat it
        }
      }
    });
    socket.bind(0, localAddress, () => send(last, port));
  });
}
