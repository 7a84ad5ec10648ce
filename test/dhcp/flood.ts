/**
 * Sends hostile datagrams to a DHCP server: random bytes, truncated packets, options running past the
 * end, overload loops, absurd header values. Run inside a test namespace:
 * `node --import tsx test/dhcp/flood.ts <address> <port> <count> <seed>`. Prints `started`, then `sent <n>` when done.
 */
import { createSocket } from 'node:dgram';

const [address = '127.0.0.1', portText = '67', countText = '10000', seedText = '1'] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);
let seed = Number(seedText) >>> 0 || 1;

/** xorshift32: deterministic, so a failure can be replayed with the same seed. */
function random(): number {
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed / 0x100000000;
}
const int = (n: number) => Math.floor(random() * n);
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));

function header(): Buffer {
  const buf = Buffer.alloc(240);
  buf[0] = 1;
  buf[1] = 1;
  buf[2] = 6;
  bytes(6).copy(buf, 28);
  buf.writeUInt32BE(0x63825363, 236);
  return buf;
}

const kinds: Array<() => Buffer> = [
  () => bytes(int(1500)), // noise
  () => header().subarray(0, int(240)), // truncated header
  () => Buffer.concat([header(), Buffer.from([53, 1, 1, 60, 200, 1, 2, 3])]), // option past the end
  () => Buffer.concat([header(), Buffer.from([53, 1, 1, 12])]), // no length byte
  () => {
    // overload: file and sname both claim more overloads and run past their areas
    const buf = Buffer.concat([header(), Buffer.from([53, 1, 1, 52, 1, 3, 255])]);
    Buffer.from([52, 1, 3, 67, 200]).copy(buf, 108);
    Buffer.from([52, 1, 3, 52, 1, 3]).copy(buf, 44);
    return buf;
  },
  () => Buffer.concat([header(), Buffer.from([53, 1, 1, 52, 1, int(256), 255])]), // bad overload value
  () => {
    const buf = Buffer.concat([header(), Buffer.from([53, 1, int(256)]), bytes(int(300))]); // random type, random options
    buf[2] = int(256);
    buf[1] = int(256);
    return buf;
  },
  () => Buffer.concat([header(), Buffer.from([53, 2, 1, 1, 93, 1, 0, 97, 3, 0, 1, 2, 255])]), // wrong option sizes
  () => Buffer.concat([header(), Buffer.from([53, 1, 3, 54, 3, 1, 2, 3, 50, 5, 1, 2, 3, 4, 5, 255])]), // REQUEST with bad 50/54
];

const socket = createSocket('udp4');
let sent = 0;
function burst(): void {
  for (let i = 0; i < 50 && sent < count; i++, sent++) socket.send(kinds[int(kinds.length)]!(), port, address);
  // About 2,500 datagrams a second, so the flood lasts long enough for good clients to run during it.
  if (sent < count) setTimeout(burst, 20);
  else setTimeout(() => {
    process.stdout.write(`sent ${sent}\n`);
    socket.close();
  }, 100);
}
process.stdout.write('started\n');
burst();
