/**
 * The window rules exist once in ReadTransfer; the addon keeps a copy of the in-order case only
 * (native/ack_answer.c says why). Here one transfer runs on each engine, on 127.0.0.1, and a client
 * sends both the same ACK sequences: in order, duplicated, stale, inside the window (a gap), for a
 * block never sent. The DATA blocks each engine puts on the wire, in order, and how the transfer ends
 * must be the same, and the native engine must have answered the in-order ACKs without JavaScript.
 */
import type { Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFileContent } from '../../src/content/static-files.js';
import { bufferContent, type Content } from '../../src/content/types.js';
import { encodeTftpPacket, TftpOpcode } from '../../src/tftp/codec/packet.js';
import { DgramTransferSocket } from '../../src/tftp/transfer/dgram-socket.js';
import { nativeAddon, nativeAddonUnavailable } from '../../src/tftp/transfer/native/addon.js';
import { NativeTransferSocket } from '../../src/tftp/transfer/native/socket.js';
import type { TransferSocket, TransferSocketOptions } from '../../src/tftp/transfer/socket.js';
import { ReadTransfer, realClock, type TransferResult } from '../../src/tftp/transfer/transfer.js';
import { openClientSocket } from '../tftp/raw-client.js';

const BLKSIZE = 512;

/** What one engine did with one ACK sequence. */
interface Transcript {
  /** DATA block numbers (16-bit, as on the wire), in the order they arrived. */
  blocks: number[];
  /** How the transfer ended (cancelled after the last ACK unless the final ACK ended it). */
  result: Pick<TransferResult, 'outcome' | 'bytes' | 'retransmits'>;
  /** ACKs that reached ReadTransfer.handleAck (the rest the addon answered itself). */
  acksInJavaScript: number;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits for what an ACK makes the server send: up to 150 ms for a first new datagram (an ACK that is
 * ignored brings none), then until none has arrived for `quietMs` (3 s at most in all).
 */
async function answered(arrivals: () => number, quietMs: number): Promise<void> {
  const deadline = Date.now() + 3_000;
  const before = arrivals();
  const first = Date.now() + 150;
  while (arrivals() === before && Date.now() < first) await pause(2);
  let seen = -1;
  while (seen !== arrivals() && Date.now() < deadline) {
    seen = arrivals();
    await pause(quietMs);
  }
}

async function drive(engine: 'native' | 'dgram', content: () => Promise<Content>, windowsize: number, acks: readonly number[]): Promise<Transcript> {
  // Lock-step answers one block per ACK; a window's burst may pause for a read between chunks.
  const quietMs = windowsize === 1 ? 10 : 40;
  const client: Socket = await openClientSocket();
  const blocks: number[] = [];
  let server: { address: string; port: number } | null = null;
  client.on('message', (msg, rinfo) => {
    server ??= { address: rinfo.address, port: rinfo.port };
    if (msg.readUInt16BE(0) === TftpOpcode.Data) blocks.push(msg.readUInt16BE(2));
  });
  const options: TransferSocketOptions = {
    serverIp: '127.0.0.1',
    clientIp: '127.0.0.1',
    clientPort: client.address().port,
    answerStrangers: false,
    stats: { strangers: 0, transferGarbage: 0 },
    onError: (error) => {
      throw error;
    },
    clock: realClock,
  };
  const socket: TransferSocket = engine === 'native' ? new NativeTransferSocket(nativeAddon()!, options) : await DgramTransferSocket.open(options);
  const source = await content();
  let result: TransferResult | null = null;
  const transfer = new ReadTransfer({
    content: source,
    blksize: BLKSIZE,
    windowsize,
    timeoutMs: 30_000, // no retransmission on timeout: only the ACKs decide
    retries: 1,
    oack: [],
    sender: socket,
    onEnd: (r) => {
      result = r;
      socket.close();
    },
  });
  let acksInJavaScript = 0;
  const handleAck = transfer.handleAck.bind(transfer);
  transfer.handleAck = (block) => {
    acksInJavaScript += 1;
    handleAck(block);
  };
  socket.attach(transfer);
  try {
    transfer.start();
    await answered(() => blocks.length, quietMs);
    if (server === null) throw new Error(`${engine}: no DATA after the start`);
    for (const block of acks) {
      if (result !== null) break;
      const { port, address } = server!;
      await new Promise<void>((resolve, reject) => client.send(encodeTftpPacket({ type: 'ack', block }), port, address, (e) => (e ? reject(e) : resolve())));
      await answered(() => blocks.length, quietMs);
    }
    transfer.cancel('sequence done');
    const { outcome, bytes, retransmits } = result!;
    return { blocks, result: { outcome, bytes, retransmits }, acksInJavaScript };
  } finally {
    transfer.cancel('test over');
    socket.close();
    client.close();
    await source.close();
  }
}

/** Blocks 1 … n. */
const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe.skipIf(nativeAddon() === null)(`the addon's in-order rule and ReadTransfer's, on the same ACKs (${nativeAddonUnavailable() ?? 'addon built'})`, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'xenboot-window-rules-'));
    // 300 blocks: more than one read-ahead chunk (128 blocks of 512), so the addon reads ahead from the page cache.
    writeFileSync(join(dir, 'file.bin'), Buffer.alloc(300 * BLKSIZE - 100, 0x5a));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const generated = () => Promise.resolve(bufferContent(Buffer.alloc(20 * BLKSIZE + 7, 0x33)));
  const file = async () => (await openFileContent(join(dir, 'file.bin')))!;

  const cases: Array<{ name: string; content: () => Promise<Content>; windowsize: number; acks: number[]; inOrder: boolean }> = [
    { name: 'lock-step, in order to the end', content: generated, windowsize: 1, acks: upTo(21), inOrder: true },
    { name: 'lock-step with duplicate and stale ACKs', content: generated, windowsize: 1, acks: [1, 1, 2, 1, 2, 3, 3, 3, 5, 4, 60000, 5], inOrder: false },
    { name: 'window 4, in order to the end', content: generated, windowsize: 4, acks: [4, 8, 12, 16, 20, 21], inOrder: true },
    { name: 'window 4 with a gap, duplicates and a block never sent', content: generated, windowsize: 4, acks: [4, 6, 6, 6, 9, 30, 10, 10, 14, 12, 18], inOrder: false },
    { name: 'window 8, ACKs trailing at the client’s own boundaries', content: generated, windowsize: 8, acks: [3, 8, 11, 16, 21], inOrder: false },
    { name: 'a file of 300 blocks in lock-step, across read-ahead chunks', content: file, windowsize: 1, acks: upTo(300), inOrder: true },
    { name: 'a file of 300 blocks in windows of 16 with one gap', content: file, windowsize: 16, acks: [16, 32, 40, 40, 56, 72, 88, 104, 120, 136, 152, 168, 184, 200, 216, 232, 248, 264, 280, 296, 300], inOrder: false },
  ];

  it.each(cases)('$name', async ({ content, windowsize, acks, inOrder }) => {
    const dgram = await drive('dgram', content, windowsize, acks);
    const native = await drive('native', content, windowsize, acks);
    expect(native.blocks).toEqual(dgram.blocks);
    expect(native.result).toEqual(dgram.result);
    // The dgram engine hands every ACK to JavaScript; the addon keeps the in-order ones.
    expect(dgram.acksInJavaScript).toBe(acks.length);
    if (inOrder) expect(native.acksInJavaScript).toBeLessThan(acks.length / 2);
  }, 60_000);
});
