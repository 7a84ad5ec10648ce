/**
 * The native engine's ACK thread: a lock-step download by a real client (tftp-hpa) keeps going while
 * the server's event loop is blocked, because in-order ACKs and the read-ahead from the page cache are
 * handled on the addon's own thread. With node:dgram the same download stands still, which shows the
 * check can fail. Either way the file arrives intact once the loop runs again. And content that only
 * JavaScript can read (slow asynchronous reads, no descriptor for the thread) still arrives intact while
 * the thread serves the blocks already loaded.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticFileHandler } from '../../src/content/static-files.js';
import type { Content, ContentHandler } from '../../src/content/types.js';
import { EventBus } from '../../src/timeline/bus.js';
import { silentLogger } from '../../src/log.js';
import { TftpServer } from '../../src/tftp/server.js';
import { requireCommands, startProcess } from '../../lab/process.js';
import { md5, tftpTestSettings } from './support.js';

const SIZE = 24 * 1024 * 1024;
let dir: string;
let data: Buffer;

beforeAll(async () => {
  await requireCommands('tftp');
  dir = mkdtempSync(join(tmpdir(), 'xenboot-ack-thread-'));
  data = randomBytes(SIZE);
  writeFileSync(join(dir, 'big.bin'), data);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Blocks this thread (and so the event loop) for `ms`. */
function blockEventLoop(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

const sizeOf = (path: string) => (existsSync(path) ? statSync(path).size : 0);

function server(engine: 'native' | 'dgram', content: ContentHandler): TftpServer {
  return new TftpServer({
    settings: tftpTestSettings({ engine }),
    content,
    logger: silentLogger(),
    events: new EventBus(),
  });
}

describe.each([
  ['native', true],
  ['dgram', false],
] as const)('a lock-step download while the event loop is blocked (%s engine)', (engine, keepsGoing) => {
  it(keepsGoing ? 'keeps going on the ACK thread and arrives intact' : 'stands still, then completes intact', async () => {
    const tftp = server(engine, staticFileHandler(dir));
    const { port } = await tftp.listen('127.0.0.1', 0);
    const local = join(dir, `out-${engine}.bin`);
    // blksize 512: 49 152 lock-step blocks, far more than one read-ahead ring.
    const client = startProcess('tftp', ['-m', 'binary', '127.0.0.1', String(port), '-c', 'get', 'big.bin', local]);
    try {
      const deadline = Date.now() + 10_000;
      while (sizeOf(local) < 256 * 1024 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      const before = sizeOf(local);
      expect(before).toBeGreaterThan(0);
      blockEventLoop(700);
      const grown = sizeOf(local) - before;
      if (keepsGoing) expect(grown).toBeGreaterThan(2 * 1024 * 1024);
      else expect(grown).toBeLessThan(64 * 1024);
      const code = await Promise.race([client.exited, new Promise((r) => setTimeout(() => r('timeout'), 30_000))]);
      expect(code).toBe(0);
      expect(md5(local)).toBe(md5(data));
    } finally {
      await client.stop();
      await tftp.close();
      rmSync(local, { force: true });
    }
  }, 45_000);
});

describe('content only JavaScript can read, on the native engine', () => {
  it.each([
    ['tftp-hpa, lock-step', 'tftp', [] as string[]],
    ['atftp, windowsize 16', 'atftp', ['--option', 'blksize 1468', '--option', 'windowsize 16']],
  ])('%s: slow asynchronous reads while the thread serves what is loaded, intact', async (_label, command, options) => {
    await requireCommands(command);
    const payload = data.subarray(0, 3 * 1024 * 1024 + 123);
    let reads = 0;
    // No descriptor and no cached read: every chunk is read by JavaScript, a few milliseconds late.
    const slow: Content = {
      size: payload.length,
      source: 'generated',
      async read(position, length) {
        reads += 1;
        await new Promise((r) => setTimeout(r, 3));
        return payload.subarray(position, Math.min(payload.length, position + length));
      },
      async close() {},
    };
    const tftp = server('native', async (request) => (request.path === 'slow.bin' ? slow : null));
    const { port } = await tftp.listen('127.0.0.1', 0);
    const local = join(dir, `out-slow-${command}.bin`);
    const args =
      command === 'tftp'
        ? ['-m', 'binary', '127.0.0.1', String(port), '-c', 'get', 'slow.bin', local]
        : [...options, '-g', '-r', 'slow.bin', '-l', local, '127.0.0.1', String(port)];
    const client = startProcess(command, args);
    try {
      const code = await Promise.race([client.exited, new Promise((r) => setTimeout(() => r('timeout'), 30_000))]);
      expect(code).toBe(0);
      expect(md5(local)).toBe(md5(payload));
      expect(reads).toBeGreaterThan(10);
    } finally {
      await client.stop();
      await tftp.close();
      rmSync(local, { force: true });
    }
  }, 45_000);
});
