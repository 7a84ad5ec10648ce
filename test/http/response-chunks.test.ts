/**
 * Chunk buffers of HTTP response bodies: a buffer is reused only once every byte pushed from it has left
 * user space, a response holds at most two, and slow clients downloading at once over real sockets get
 * every byte right while the route allocates at most two buffers per concurrent response.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BufferPool } from '../../src/content/buffer-pool.js';
import { staticFileHandler } from '../../src/content/static-files.js';
import { ResponseChunks } from '../../src/http/response-chunks.js';
import { registerFileRoutes } from '../../src/http/routes/files.js';

/** A pool that counts what it hands out. */
class CountingPool extends BufferPool {
  handedOut = 0;

  override acquire(bytes: number): Buffer {
    this.handedOut += 1;
    return super.acquire(bytes);
  }

  /** Buffers allocated rather than reused. */
  get allocated(): number {
    return this.handedOut - this.reused;
  }
}

describe('ResponseChunks', () => {
  const CHUNK = 32 * 1024;

  it('reuses its one buffer while the socket takes every chunk at once', () => {
    const pool = new CountingPool(1 << 20);
    const backlog = { writableLength: 0 };
    const chunks = new ResponseChunks(pool, backlog, CHUNK);
    const first = chunks.take(0, 0);
    let pushed = CHUNK;
    chunks.pushed(first, pushed);
    for (let i = 0; i < 10; i += 1) {
      const buffer = chunks.take(pushed, 0);
      expect(buffer).toBe(first);
      pushed += CHUNK;
      chunks.pushed(buffer, pushed);
    }
    expect([chunks.held, pool.allocated, chunks.overflow]).toEqual([1, 1, 0]);
  });

  it('never hands out a buffer whose bytes are still queued, and gives the spare back once they left', () => {
    const pool = new CountingPool(1 << 20);
    const backlog = { writableLength: 0 };
    const chunks = new ResponseChunks(pool, backlog, CHUNK);
    const a = chunks.take(0, 0);
    chunks.pushed(a, CHUNK);
    // A's last 10 bytes wait in the socket: the next chunk goes into a second buffer.
    backlog.writableLength = 10;
    const b = chunks.take(CHUNK, 0);
    expect(b).not.toBe(a);
    chunks.pushed(b, 2 * CHUNK);
    // All of B and the tail of A are queued: neither may be touched; a third chunk would overflow.
    backlog.writableLength = CHUNK + 10;
    const c = chunks.take(2 * CHUNK, 0);
    expect(c).not.toBe(a);
    expect(c).not.toBe(b);
    expect(chunks.overflow).toBe(1);
    chunks.abandon(c);
    // Only part of B is left: A is free again, and B is kept.
    backlog.writableLength = 100;
    expect(chunks.take(2 * CHUNK, 0)).toBe(a);
    expect(chunks.held).toBe(2);
    // Everything has left: one buffer is kept, the other goes back to the pool.
    backlog.writableLength = 0;
    chunks.abandon(a);
    chunks.take(2 * CHUNK, 0);
    expect(chunks.held).toBe(1);
    expect(pool.idleByteCount).toBe(CHUNK);
  });

  it('counts bytes the stream still buffers as held', () => {
    const pool = new CountingPool(1 << 20);
    const chunks = new ResponseChunks(pool, { writableLength: 0 }, CHUNK);
    const a = chunks.take(0, 0);
    chunks.pushed(a, CHUNK);
    expect(chunks.take(CHUNK, CHUNK)).not.toBe(a);
  });

  it('gives its buffers back when the response closes, the one a read still fills only after that read', () => {
    const pool = new CountingPool(1 << 20);
    const backlog = { writableLength: 0 };
    const chunks = new ResponseChunks(pool, backlog, CHUNK);
    const a = chunks.take(0, 0);
    chunks.pushed(a, CHUNK);
    backlog.writableLength = 5;
    const reading = chunks.take(CHUNK, 0);
    chunks.close();
    expect(pool.idleByteCount).toBe(CHUNK);
    chunks.pushed(reading, 2 * CHUNK);
    expect(pool.idleByteCount).toBe(2 * CHUNK);
    expect(chunks.held).toBe(0);
  });
});

describe('file responses to slow clients over real sockets', () => {
  const CLIENTS = 12;
  const file = randomBytes(6 * 2 ** 20 + 12_345);
  const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');
  const pool = new CountingPool(4 * 2 ** 20);
  let app: FastifyInstance;
  let root: string;
  let port: number;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'xenboot-chunks-'));
    writeFileSync(join(root, 'initrd.img'), file);
    app = Fastify();
    registerFileRoutes(app, staticFileHandler(root), undefined, pool);
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await app.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** Downloads the file, pausing 1 ms after every piece the socket delivers (a client slower than the server). */
  const slowDownload = (range?: string) =>
    new Promise<Buffer>((resolve, reject) => {
      const request = get({ host: '127.0.0.1', port, path: '/initrd.img', headers: range ? { range } : {} }, (response) => {
        const pieces: Buffer[] = [];
        response.on('data', (piece: Buffer) => {
          pieces.push(piece);
          response.pause();
          setTimeout(() => response.resume(), 1);
        });
        response.on('end', () => resolve(Buffer.concat(pieces)));
        response.on('error', reject);
      });
      request.setTimeout(60_000, () => request.destroy(new Error('download timed out')));
      request.on('error', reject);
    });

  it('delivers every byte to each of 12 concurrent slow clients, allocating at most two chunk buffers per response', async () => {
    const bodies = await Promise.all(Array.from({ length: CLIENTS }, () => slowDownload()));
    for (const body of bodies) expect(md5(body)).toBe(md5(file));
    expect(pool.allocated).toBeLessThanOrEqual(2 * CLIENTS);
    // 6 MiB per response in 128 KiB chunks, through a handful of buffers each.
    expect(pool.handedOut).toBeLessThan(CLIENTS * 4);
  }, 60_000);

  it('serves later responses and ranges from the buffers the earlier ones gave back', async () => {
    const before = pool.allocated;
    const [whole, part] = await Promise.all([slowDownload(), slowDownload('bytes=1000000-3999999')]);
    expect(md5(whole)).toBe(md5(file));
    expect(md5(part)).toBe(md5(file.subarray(1_000_000, 4_000_000)));
    expect(pool.allocated).toBe(before);
  }, 60_000);
});
