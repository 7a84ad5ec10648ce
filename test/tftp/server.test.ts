/**
 * The TFTP server in-process on 127.0.0.1, driven by a raw UDP client so the wire is visible: error
 * codes, OACK contents, reply addresses, admission control, duplicate requests, events.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chainHandlers } from '../../src/content/chain.js';
import { staticFileHandler } from '../../src/content/static-files.js';
import { bufferContent, type ContentHandler } from '../../src/content/types.js';
import { EventBus } from '../../src/timeline/bus.js';
import type { TftpTransferEvent } from '../../src/timeline/types.js';
import { silentLogger } from '../../src/log.js';
import { encodeTftpPacket } from '../../src/tftp/codec/packet.js';
import { TftpServer, type TftpServerSettings } from '../../src/tftp/server.js';
import { openClientSocket, rawDownload, receive } from './raw-client.js';
import { tftpTestSettings } from './support.js';

const settings = tftpTestSettings({ timeoutMs: 300, retries: 3, maxTransfers: 100, maxTransfersPerClient: 50, maxQueued: 64 });
/** Both transfer engines run every case; `start` uses the one of the block being run. */
const ENGINES = ['native', 'dgram'] as const;
let engine: (typeof ENGINES)[number] = 'native';

let root: string;
const files = { small: randomBytes(1500), large: randomBytes(3 * 1024 * 1024 + 17) };
const servers: TftpServer[] = [];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'xenboot-tftp-server-'));
  writeFileSync(join(root, 'small.bin'), files.small);
  writeFileSync(join(root, 'large.bin'), files.large);
  writeFileSync(join(root, 'unix.txt'), 'line one\nline two\r\n');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(overrides: Partial<TftpServerSettings> = {}, handlers: ContentHandler[] = []) {
  const events = new EventBus();
  const seen: TftpTransferEvent[] = [];
  events.subscribe((e) => {
    if (e.kind === 'tftp') seen.push(e);
  });
  const server = new TftpServer({
    settings: { ...settings, engine, ...overrides },
    content: chainHandlers([...handlers, staticFileHandler(root)]),
    logger: silentLogger(),
    events,
  });
  servers.push(server);
  const { port } = await server.listen('127.0.0.1', 0);
  return { server, port, events: seen };
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.each(ENGINES)('TftpServer (%s transfer sockets)', (name) => {
  beforeEach(() => {
    engine = name;
  });

  it('uses the engine it was given', async () => {
    const { server } = await start();
    expect(server.engine).toBe(name);
    expect(server.engineFallback).toBeNull();
  });

  it('serves a file from a new port on the address the request was sent to, and emits an event', async () => {
    const { port, events } = await start();
    const result = await rawDownload('127.0.0.1', port, 'small.bin');
    expect(result.data.equals(files.small)).toBe(true);
    expect(result.from?.address).toBe('127.0.0.1');
    expect(result.from?.port).not.toBe(port);
    await waitFor(() => events.length === 1, 'the event');
    expect(events[0]).toMatchObject({ kind: 'tftp', ip: '127.0.0.1', serverIp: '127.0.0.1', file: 'small.bin', outcome: 'complete', bytes: 1500, size: 1500, blksize: 512, windowsize: 1, retransmits: 0 });
    expect(events[0]!.mac).toBeUndefined();
  });

  it('answers from the address each request was sent to when listening on several', async () => {
    const { server, port } = await start();
    const second = await server.listen('127.0.0.2', 0);
    for (const [address, listenPort] of [['127.0.0.2', second.port], ['127.0.0.1', port]] as const) {
      const result = await rawDownload(address, listenPort, 'small.bin', [{ name: 'tsize', value: '0' }]);
      expect(result.from?.address).toBe(address);
      expect(result.data.equals(files.small)).toBe(true);
    }
  });

  it('acknowledges only the options asked for, with the real tsize', async () => {
    const { port } = await start({ maxBlksize: 1468 });
    const result = await rawDownload('127.0.0.1', port, 'large.bin', [
      { name: 'tsize', value: '0' },
      { name: 'blksize', value: '8192' },
      { name: 'x-unknown', value: '1' },
    ]);
    expect(result.oack).toEqual([{ name: 'tsize', value: String(files.large.length) }, { name: 'blksize', value: '1468' }]);
    expect(result.data.equals(files.large)).toBe(true);
  });

  it('sends windows when asked (windowsize 8)', async () => {
    const { port, events } = await start();
    const result = await rawDownload('127.0.0.1', port, 'large.bin', [{ name: 'blksize', value: '1468' }, { name: 'windowsize', value: '8' }], { windowsize: 8 });
    expect(result.oack).toEqual([{ name: 'blksize', value: '1468' }, { name: 'windowsize', value: '8' }]);
    expect(result.data.equals(files.large)).toBe(true);
    await waitFor(() => events.length === 1, 'the event');
    expect(events[0]).toMatchObject({ outcome: 'complete', windowsize: 8, blksize: 1468 });
  });

  it('answers a missing file with ERROR 1 at once', async () => {
    const { port, events } = await start();
    const started = Date.now();
    const result = await rawDownload('127.0.0.1', port, 'pxelinux.cfg/01-52-54-00-12-34-56');
    expect(result.error).toEqual({ code: 1, message: 'file not found' });
    expect(Date.now() - started).toBeLessThan(1000);
    await waitFor(() => events.length === 1, 'the event');
    expect(events[0]).toMatchObject({ outcome: 'not-found', file: 'pxelinux.cfg/01-52-54-00-12-34-56' });
  });

  it.each(['../etc/passwd', '/../../etc/passwd', 'a/../../x', '..\\..\\x', 'bad\u0001name', '/'])('refuses the hostile name %j with ERROR 2', async (name) => {
    const { port, events } = await start();
    const result = await rawDownload('127.0.0.1', port, name);
    expect(result.error?.code).toBe(2);
    await waitFor(() => events.length === 1, 'the event');
    expect(events[0]!.outcome).toBe('denied');
  });

  it('refuses a write request with ERROR 2', async () => {
    const { port, events } = await start();
    const socket = await openClientSocket();
    try {
      socket.send(encodeTftpPacket({ type: 'wrq', filename: 'upload.bin', mode: 'octet', options: [] }), port, '127.0.0.1');
      const reply = await receive(socket, 2_000);
      expect(reply?.packet).toEqual({ type: 'error', code: 2, message: 'read-only server' });
    } finally {
      socket.close();
    }
    await waitFor(() => events.length === 1, 'the event');
    expect(events[0]).toMatchObject({ outcome: 'denied', file: 'upload.bin' });
  });

  it('refuses an unknown mode with ERROR 4 and converts netascii', async () => {
    const { port } = await start();
    const socket = await openClientSocket();
    try {
      socket.send(encodeTftpPacket({ type: 'rrq', filename: 'small.bin', mode: 'mail', options: [] }), port, '127.0.0.1');
      expect((await receive(socket, 2_000))?.packet).toMatchObject({ type: 'error', code: 4 });
      socket.send(encodeTftpPacket({ type: 'rrq', filename: 'unix.txt', mode: 'NetASCII', options: [] }), port, '127.0.0.1');
      const data = await receive(socket, 2_000);
      expect(data?.packet).toMatchObject({ type: 'data', block: 1 });
      expect((data!.packet as { data: Buffer }).data.toString('latin1')).toBe('line one\r\nline two\r\u0000\r\n');
    } finally {
      socket.close();
    }
  });

  it('ends quietly when the client aborts after the OACK (UEFI tsize probe)', async () => {
    const { port, events } = await start();
    const socket = await openClientSocket();
    try {
      socket.send(encodeTftpPacket({ type: 'rrq', filename: 'large.bin', mode: 'octet', options: [{ name: 'tsize', value: '0' }, { name: 'blksize', value: '1468' }, { name: 'windowsize', value: '4' }] }), port, '127.0.0.1');
      const oack = await receive(socket, 2_000);
      expect(oack?.packet).toMatchObject({ type: 'oack' });
      socket.send(encodeTftpPacket({ type: 'error', code: 8, message: 'User aborted the transfer' }), oack!.port, '127.0.0.1');
      await waitFor(() => events.length === 1, 'the event');
      expect(events[0]).toMatchObject({ outcome: 'aborted', bytes: 0, size: files.large.length });
      expect(await receive(socket, 700)).toBeNull(); // nothing more is sent
    } finally {
      socket.close();
    }
  });

  it('gives up after the configured retries when the client vanishes', async () => {
    const { port, events, server } = await start({ timeoutMs: 100, retries: 2 });
    const socket = await openClientSocket();
    socket.on('message', () => {}); // swallow (never ACK) so the socket stays reachable
    try {
      socket.send(encodeTftpPacket({ type: 'rrq', filename: 'small.bin', mode: 'octet', options: [] }), port, '127.0.0.1');
      await waitFor(() => events.length === 1, 'the timeout event');
      expect(events[0]).toMatchObject({ outcome: 'timeout', retransmits: 2 });
      expect(server.activeTransfers).toBe(0);
    } finally {
      socket.close();
    }
  });

  it('does not start a second transfer for a repeated RRQ from the same client port', async () => {
    const { port, server } = await start({ timeoutMs: 3000 });
    const socket = await openClientSocket();
    try {
      const rrq = encodeTftpPacket({ type: 'rrq', filename: 'large.bin', mode: 'octet', options: [] });
      socket.send(rrq, port, '127.0.0.1');
      socket.send(rrq, port, '127.0.0.1');
      socket.send(rrq, port, '127.0.0.1');
      const first = await receive(socket, 2_000);
      expect(first?.packet).toMatchObject({ type: 'data', block: 1 });
      expect(await receive(socket, 500)).toBeNull();
      expect(server.activeTransfers).toBe(1);
      expect(server.stats.duplicates).toBe(2);
    } finally {
      socket.close();
    }
  });

  it('with maxQueued 0, refuses requests beyond maxTransfers and maxTransfersPerClient with ERROR 0 "server busy"', async () => {
    const { port, server, events } = await start({ maxTransfers: 3, maxTransfersPerClient: 2, maxQueued: 0 });
    const sockets = await Promise.all([1, 2, 3].map(() => openClientSocket()));
    try {
      const rrq = encodeTftpPacket({ type: 'rrq', filename: 'large.bin', mode: 'octet', options: [] });
      // Two from 127.0.0.1 are allowed; the third from the same IP is refused per client.
      for (const s of sockets) s.send(rrq, port, '127.0.0.1');
      const replies = await Promise.all(sockets.map((s) => receive(s, 2_000)));
      const busy = replies.filter((r) => r?.packet?.type === 'error');
      expect(busy.length).toBe(1);
      expect(busy[0]!.packet).toEqual({ type: 'error', code: 0, message: 'server busy, try again later' });
      expect(server.stats.busy).toBe(1);
      expect(events.find((e) => e.outcome === 'busy')?.error).toBe('maxTransfersPerClient reached');
      // A different client IP (127.0.0.2 is loopback too) gets the third global slot, a fourth is refused.
      const other = await openClientSocket('127.0.0.2');
      const another = await openClientSocket('127.0.0.3');
      try {
        other.send(rrq, port, '127.0.0.1');
        expect((await receive(other, 2_000))?.packet).toMatchObject({ type: 'data', block: 1 });
        another.send(rrq, port, '127.0.0.1');
        expect((await receive(another, 2_000))?.packet).toMatchObject({ type: 'error', code: 0 });
        expect(events.filter((e) => e.outcome === 'busy').at(-1)?.error).toBe('maxTransfers reached');
      } finally {
        other.close();
        another.close();
      }
    } finally {
      for (const s of sockets) s.close();
    }
  });

  it('queues requests beyond the limits and serves every one of them as slots free, in arrival order', async () => {
    const { port, server, events } = await start({ maxTransfers: 2, maxTransfersPerClient: 2 });
    // Six clients at once against two slots: PXELINUX would treat a "busy" ERROR as "not found" and fail
    // its boot, so four must wait and then complete.
    const downloads = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const socket = await openClientSocket(`127.0.0.${i + 2}`);
        try {
          return await rawDownload('127.0.0.1', port, 'large.bin', [], { socket });
        } finally {
          socket.close();
        }
      }),
    );
    for (const d of downloads) {
      expect(d.error).toBeNull();
      expect(d.data.equals(files.large)).toBe(true);
    }
    expect(server.stats.queued).toBe(4);
    expect(server.stats.busy).toBe(0);
    await waitFor(() => events.filter((e) => e.outcome === 'complete').length === 6, 'six complete events');
    expect(server.activeTransfers).toBe(0);
    expect(server.queuedRequests).toBe(0);
  });

  it('a waiting request is dropped silently when the queue is full, and abandoned after queueTimeoutMs', async () => {
    const { port, server, events } = await start({ maxTransfers: 1, maxQueued: 1, queueTimeoutMs: 200, timeoutMs: 2_000 });
    const rrq = encodeTftpPacket({ type: 'rrq', filename: 'large.bin', mode: 'octet', options: [] });
    const holder = await openClientSocket('127.0.0.2');
    const waiter = await openClientSocket('127.0.0.3');
    const dropped = await openClientSocket('127.0.0.4');
    try {
      holder.send(rrq, port, '127.0.0.1');
      expect((await receive(holder, 2_000))?.packet).toMatchObject({ type: 'data', block: 1 });
      waiter.send(rrq, port, '127.0.0.1');
      await waitFor(() => server.queuedRequests === 1, 'one queued request');
      waiter.send(rrq, port, '127.0.0.1'); // a retransmission of the waiting request is the same request
      dropped.send(rrq, port, '127.0.0.1');
      // No answer at all to the dropped one (an ERROR would end a PXE client's boot).
      expect(await receive(dropped, 400)).toBeNull();
      expect(server.stats.duplicates).toBe(1);
      expect(events.find((e) => e.ip === '127.0.0.4')).toMatchObject({ outcome: 'busy' });
      // The holder stops acknowledging; its transfer times out after retries, long after the waiter's
      // 200 ms budget, so the waiter is abandoned (an event says so) rather than started late.
      await waitFor(() => events.some((e) => e.ip === '127.0.0.3'), 'the waiter abandoned', 15_000);
      expect(events.find((e) => e.ip === '127.0.0.3')).toMatchObject({ outcome: 'busy', error: expect.stringMatching(/^waited \d+ ms for a transfer slot$/) });
      expect(server.queuedRequests).toBe(0);
    } finally {
      holder.close();
      waiter.close();
      dropped.close();
    }
  });

  it('answers datagrams from a stranger with ERROR 5 when answerStrangers is on, and the transfer carries on', async () => {
    const { port, server } = await start({ answerStrangers: true });
    const stranger = await openClientSocket();
    try {
      let poked = false;
      const strangerReply = receive(stranger, 10_000);
      const result = await rawDownload('127.0.0.1', port, 'large.bin', [], {
        onData: (block, from) => {
          if (block === 10 && !poked) {
            poked = true;
            stranger.send(encodeTftpPacket({ type: 'ack', block: 11 }), from.port, '127.0.0.1');
          }
        },
      });
      expect(result.data.equals(files.large)).toBe(true);
      const reply = await strangerReply;
      expect(reply?.packet).toEqual({ type: 'error', code: 5, message: 'unknown transfer ID' });
      expect(server.stats.strangers).toBe(1);
    } finally {
      stranger.close();
    }
  });

  it('survives thousands of random and mutated datagrams, keeps serving, and leaks no transfer', async () => {
    const { port, server } = await start({ timeoutMs: 50, retries: 1, maxTransfersPerClient: 100 });
    const socket = await openClientSocket();
    socket.on('message', () => {}); // never ACK: every transfer started must time out and be released
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 16777216;
    const base = encodeTftpPacket({ type: 'rrq', filename: 'small.bin', mode: 'octet', options: [{ name: 'blksize', value: '1024' }, { name: 'tsize', value: '0' }] });
    try {
      for (let i = 0; i < 3000; i += 1) {
        let datagram: Buffer;
        if (i % 3 === 0) {
          datagram = Buffer.from(Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256)));
        } else {
          datagram = Buffer.from(base.subarray(0, 1 + Math.floor(random() * base.length)));
          for (let j = 0; j < 3; j += 1) datagram[Math.floor(random() * datagram.length)] = Math.floor(random() * 256);
        }
        socket.send(datagram, port, '127.0.0.1');
        if (i % 200 === 0) await new Promise((r) => setImmediate(r));
      }
      // The kernel drops what overflows the socket buffer (a real client resends its RRQ; the raw one
      // does not), so let the flood drain and its transfers time out, then download.
      await new Promise((r) => setTimeout(r, 300));
      await waitFor(() => server.activeTransfers === 0, 'the flood’s transfers to end', 10_000);
      const result = await rawDownload('127.0.0.1', port, 'large.bin', [{ name: 'blksize', value: '1468' }]);
      expect(result.data.equals(files.large)).toBe(true);
      await waitFor(() => server.activeTransfers === 0, 'every transfer to end', 10_000);
      expect(server.stats.requests).toBeGreaterThan(300);
      expect(server.stats.malformed).toBeGreaterThan(100);
      expect(server.stats.outcomes.timeout + server.stats.outcomes.denied + server.stats.outcomes['not-found']).toBeGreaterThan(0);
    } finally {
      socket.close();
    }
  });

  it('serves generated content from an earlier handler in the chain', async () => {
    const generated: ContentHandler = async (r) => (r.path === 'pxelinux.cfg/default' && r.protocol === 'tftp' ? bufferContent('DEFAULT local\n') : null);
    const { port } = await start({}, [generated]);
    const result = await rawDownload('127.0.0.1', port, '/pxelinux.cfg/default', [{ name: 'tsize', value: '0' }]);
    expect(result.oack).toEqual([{ name: 'tsize', value: '14' }]);
    expect(result.data.toString()).toBe('DEFAULT local\n');
  });

  it('reports a failing handler as ERROR 0 without crashing', async () => {
    const broken: ContentHandler = async () => {
      throw new Error('database down');
    };
    const { port, events } = await start({}, [broken]);
    const result = await rawDownload('127.0.0.1', port, 'small.bin');
    expect(result.error).toEqual({ code: 0, message: 'server error' });
    await waitFor(() => events.length === 1, 'the event');
    expect(events[0]).toMatchObject({ outcome: 'error', error: 'database down' });
  });
});
