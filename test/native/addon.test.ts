/**
 * The `xenboot_udp` addon and the transfer socket built on it, on real sockets on 127.0.0.1: datagrams
 * both ways, the kernel's filtering of a connected socket, ICMP errors, bad arguments, the accelerated
 * window (in-order ACKs answered without JavaScript, duplicates ignored, the final ACK handed back), and
 * the send backlog with a binding that pushes back.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:dgram';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bufferContent } from '../../src/content/types.js';
import { NATIVE_ADDON_VERSION, nativeAddon, nativeAddonUnavailable, NativeUdpEvent, type NativeAddon, type NativeUdpHandle } from '../../src/tftp/transfer/native/addon.js';
import { decodeTftpPacket, encodeTftpPacket } from '../../src/tftp/codec/packet.js';
import { NativeTransferSocket } from '../../src/tftp/transfer/native/socket.js';
import { ReadTransfer, realClock, type TransferResult } from '../../src/tftp/transfer/transfer.js';
import { Window } from '../../src/tftp/transfer/window.js';
import { openClientSocket, receive } from '../tftp/raw-client.js';

const LOOPBACK = 0x7f000001;
const sockets: Socket[] = [];
const handles: NativeUdpHandle[] = [];

function binding(): NativeAddon {
  const loaded = nativeAddon();
  if (loaded === null) throw new Error(`the xenboot_udp addon is not built: ${nativeAddonUnavailable()}`);
  return loaded;
}

async function client(): Promise<Socket> {
  const socket = await openClientSocket();
  sockets.push(socket);
  return socket;
}

type Event = [kind: number, a: number, b: number, c: number];

/** Opens an addon socket towards `peer` and collects its events. */
function open(peer: Socket, connect = true): { handle: NativeUdpHandle; events: Event[]; buffer: Buffer; port: number } {
  const events: Event[] = [];
  const buffer = Buffer.alloc(2048);
  const handle = binding().open('127.0.0.1', '127.0.0.1', peer.address().port, connect, buffer, (kind, a, b, c) => events.push([kind, a, b, c]));
  handles.push(handle);
  return { handle, events, buffer, port: binding().localPort(handle) };
}

async function until(check: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterEach(() => {
  for (const handle of handles.splice(0)) binding().close(handle);
  for (const socket of sockets.splice(0)) socket.close();
});

describe('xenboot_udp addon', () => {
  it('is built, loads, and is the interface version this code expects (npm install builds it)', () => {
    expect(nativeAddonUnavailable()).toBeNull();
    expect(nativeAddon()?.version).toBe(NATIVE_ADDON_VERSION);
  });

  it('sends from its own port and delivers the reply with its length, source address and port', async () => {
    const peer = await client();
    const { handle, events, buffer, port } = open(peer);
    expect(port).toBeGreaterThan(0);
    const payload = Buffer.from('xxhello, clientxx');
    expect(binding().send(handle, payload, 2, 13)).toBe(0);
    const got = await receive(peer, 2_000);
    expect(got?.raw.toString()).toBe('hello, client');
    expect(got?.port).toBe(port);
    peer.send(Buffer.from([0, 4, 0, 7]), port, '127.0.0.1');
    await until(() => events.length > 0, 'the reply');
    expect(events[0]).toEqual([NativeUdpEvent.Datagram, 4, LOOPBACK, peer.address().port]);
    expect([...buffer.subarray(0, 4)]).toEqual([0, 4, 0, 7]);
  });

  it('when connected, never sees a stranger; unconnected, reports the stranger’s address and port', async () => {
    const peer = await client();
    const stranger = await client();
    const connected = open(peer, true);
    const unconnected = open(peer, false);
    stranger.send(Buffer.from('spoof'), connected.port, '127.0.0.1');
    stranger.send(Buffer.from('spoof'), unconnected.port, '127.0.0.1');
    await until(() => unconnected.events.length > 0, 'the stranger on the unconnected socket');
    expect(unconnected.events[0]).toEqual([NativeUdpEvent.Datagram, 5, LOOPBACK, stranger.address().port]);
    // sendTo answers it where it came from.
    expect(binding().sendTo(unconnected.handle, Buffer.from('go away'), 0, 7, LOOPBACK, stranger.address().port)).toBe(0);
    expect((await receive(stranger, 2_000))?.raw.toString()).toBe('go away');
    await pause(100);
    expect(connected.events).toEqual([]);
  });

  it('reports ICMP port unreachable from a vanished client as ECONNREFUSED', async () => {
    const peer = await client();
    const { handle, events } = open(peer);
    sockets.splice(sockets.indexOf(peer), 1);
    await new Promise<void>((r) => peer.close(() => r()));
    expect(binding().send(handle, Buffer.from('anyone?'), 0, 7)).toBe(0);
    // The error arrives on the socket (recv) or on the next send, as Linux reports it.
    let sendStatus = 0;
    await until(() => {
      if (events.length === 0 && sendStatus === 0) sendStatus = binding().send(handle, Buffer.from('anyone?'), 0, 7);
      return events.length > 0 || sendStatus !== 0;
    }, 'the ICMP error');
    const errno = events.length > 0 ? events[0]![1] : sendStatus;
    expect(events.length === 0 || events[0]![0] === NativeUdpEvent.ReceiveError).toBe(true);
    expect(errno).toBe(-111);
  });

  it('refuses bad arguments with clear errors and survives a closed handle', async () => {
    const peer = await client();
    const noop = () => {};
    const b = binding();
    expect(() => b.open('not-an-ip', '127.0.0.1', 69, true, Buffer.alloc(16), noop)).toThrow(/IPv4/);
    expect(() => b.open('127.0.0.1', '127.0.0.1', 0, true, Buffer.alloc(16), noop)).toThrow(/port/);
    expect(() => b.open('127.0.0.1', '127.0.0.1', 69, true, Buffer.alloc(0), noop)).toThrow(/recvBuffer/);
    // 192.0.2.1 (TEST-NET-1) is on no interface here: bind fails, nothing is sent.
    expect(() => b.open('192.0.2.1', '127.0.0.1', 69, true, Buffer.alloc(16), noop)).toThrow(expect.objectContaining({ code: 'EADDRNOTAVAIL', syscall: 'bind' }));
    const { handle } = open(peer);
    expect(() => b.send(handle, Buffer.alloc(8), 4, 8)).toThrow(RangeError);
    expect(() => b.send({} as NativeUdpHandle, Buffer.alloc(8), 0, 8)).toThrow(/socket handle/);
    b.close(handle);
    b.close(handle);
    expect(b.send(handle, Buffer.alloc(8), 0, 8)).toBe(-9); // EBADF
  });
});

describe('readCached', () => {
  it('scatter-reads a cached file in order, stops at the end, and reports bad descriptors and arguments', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xenboot-read-cached-'));
    try {
      const data = randomBytes(200_000);
      const path = join(dir, 'file.bin');
      writeFileSync(path, data); // just written: in the page cache
      const fd = openSync(path, 'r');
      try {
        const targets = Array.from({ length: 150 }, () => Buffer.alloc(1000)); // more than one batch of iovecs
        expect(binding().readCached(fd, targets, 50_000)).toBe(150_000);
        expect(Buffer.concat(targets).equals(data.subarray(50_000))).toBe(true);
        const tail = [Buffer.alloc(300), Buffer.alloc(300)];
        expect(binding().readCached(fd, tail, 199_500)).toBe(500);
        expect(tail[0]!.equals(data.subarray(199_500, 199_800))).toBe(true);
        expect(binding().readCached(fd, [Buffer.alloc(10)], 300_000)).toBe(0);
      } finally {
        closeSync(fd);
      }
      expect(binding().readCached(fd, [Buffer.alloc(10)], 0)).toBe(-9); // EBADF
      expect(() => binding().readCached(-1, [], 0)).toThrow(TypeError);
      expect(() => binding().readCached(0, ['text' as unknown as Buffer], 0)).toThrow(/Buffer/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('NativeTransferSocket with an accelerated window', () => {
  /** Serves `data` lock-step to a real UDP client on 127.0.0.1 that ACKs every block (and one twice). */
  async function serve(data: Buffer, blksize: number, duplicateAt: number) {
    const peer = await client();
    const stats = { strangers: 0, transferGarbage: 0 };
    const socket = new NativeTransferSocket(binding(), {
      serverIp: '127.0.0.1',
      clientIp: '127.0.0.1',
      clientPort: peer.address().port,
      answerStrangers: false,
      stats,
      onError: (error) => transfer.cancel(error.message),
      clock: realClock,
    });
    let result: TransferResult | null = null;
    const transfer = new ReadTransfer({
      content: bufferContent(data),
      blksize,
      windowsize: 1,
      timeoutMs: 1_000,
      retries: 3,
      oack: [],
      sender: socket,
      onEnd: (r) => {
        socket.close();
        result = r;
      },
    });
    const handleAck = vi.spyOn(transfer, 'handleAck');
    const received: Buffer[] = [];
    let dataPackets = 0;
    peer.on('message', (raw, rinfo) => {
      const packet = decodeTftpPacket(raw);
      if (packet.type !== 'data') return;
      dataPackets += 1;
      if (packet.block === (received.length + 1) % 65536) received.push(Buffer.from(packet.data));
      const ack = encodeTftpPacket({ type: 'ack', block: packet.block });
      peer.send(ack, rinfo.port, rinfo.address);
      // A duplicate ACK must not make the server send anything again (Sorcerer's Apprentice).
      if (received.length === duplicateAt) peer.send(ack, rinfo.port, rinfo.address);
    });
    socket.attach(transfer);
    transfer.start();
    await until(() => result !== null, 'the end of the transfer', 10_000);
    return { result: result!, received: Buffer.concat(received), dataPackets, jsAcks: handleAck.mock.calls.length };
  }

  it('answers in-order ACKs in the addon: the data arrives intact, JavaScript sees only the final ACK', async () => {
    const data = randomBytes(300 * 512 + 100);
    const { result, received, dataPackets, jsAcks } = await serve(data, 512, 50);
    expect(result).toMatchObject({ outcome: 'complete', bytes: data.length, retransmits: 0 });
    expect(received.equals(data)).toBe(true);
    expect(dataPackets).toBe(301);
    // Reads ahead happen in JavaScript (resume), but no ACK before the last one reaches handleAck.
    expect(jsAcks).toBeLessThanOrEqual(2);
  });

  it('rolls block numbers over past 65535 in the addon as well', async () => {
    const data = randomBytes(65_600 * 8 + 3);
    const { result, received, dataPackets } = await serve(data, 8, 70_000);
    expect(result.outcome).toBe('complete');
    expect(received.equals(data)).toBe(true);
    expect(dataPackets).toBe(65_601);
  });
});

describe('NativeTransferSocket send backlog', () => {
  it('queues what the kernel refuses (EAGAIN), flushes it in order when writable, and tells the window', () => {
    const sent: string[] = [];
    let pushBack = true;
    let watching = false;
    let engaged = 0;
    let onEvent: (kind: number, a: number, b: number, c: number) => void = () => {};
    const fake: NativeAddon = {
      version: NATIVE_ADDON_VERSION,
      open: (_l, _r, _p, _c, _b, callback) => {
        onEvent = callback;
        return {} as NativeUdpHandle;
      },
      localPort: () => 40000,
      send: (_h, buf, offset, length) => {
        if (pushBack) return -11;
        sent.push(buf.toString('latin1', offset, offset + length));
        return 0;
      },
      sendTo: () => 0,
      watchWritable: (_h, on) => {
        watching = on;
      },
      accelerate: () => {},
      engage: () => {
        engaged += 1;
        return true;
      },
      reclaim: () => {},
      close: () => {},
      readCached: () => -11,
    };
    const socket = new NativeTransferSocket(fake, {
      serverIp: '127.0.0.1',
      clientIp: '127.0.0.1',
      clientPort: 5000,
      answerStrangers: false,
      stats: { strangers: 0, transferGarbage: 0 },
      onError: () => {},
      clock: realClock,
    });
    const resume = vi.fn();
    socket.attach({ resume } as unknown as ReadTransfer);
    const window = new Window();
    socket.accelerate(window, Buffer.alloc(8), { stride: 8, ringSlots: 1, blksize: 4, size: 4, lastBlock: 2, windowsize: 1, chunkBlocks: 1, fd: -1 });
    const packets = Buffer.from('one two three');
    socket.send(packets, 0, 3);
    pushBack = false;
    socket.send(packets, 4, 3); // behind the first: queued too, never overtakes it
    expect(socket.pendingSends()).toBe(2);
    expect(window.queued).toBe(2);
    expect(watching).toBe(true);
    expect(sent).toEqual([]);
    // Not handed to the ACK thread while JavaScript holds packets back.
    socket.exclusive(() => {});
    expect(engaged).toBe(0);
    onEvent(NativeUdpEvent.Writable, 0, 0, 0);
    expect(sent).toEqual(['one', 'two']);
    expect(socket.pendingSends()).toBe(0);
    expect(window.queued).toBe(0);
    expect(watching).toBe(false);
    // The transfer looks again at what it held back while packets waited (a read, more of the window).
    expect(resume).toHaveBeenCalledTimes(1);
    expect(engaged).toBe(1);
    socket.send(packets, 8, 5);
    expect(sent).toEqual(['one', 'two', 'three']);
  });
});
