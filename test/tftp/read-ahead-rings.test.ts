/**
 * Read-ahead rings reused across transfers: the pool itself, when a transfer gives its ring back (only
 * once nothing reads into it or sends from it), and real tftp-hpa clients downloading different files
 * of one size, concurrently and again, from servers whose later transfers run on reused rings, on both
 * engines, checked by MD5.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticFileHandler } from '../../src/content/static-files.js';
import { bufferContent, type Content } from '../../src/content/types.js';
import { EventBus } from '../../src/timeline/bus.js';
import { silentLogger } from '../../src/log.js';
import { MIN_POOLED_BYTES, BufferPool } from '../../src/content/buffer-pool.js';
import { TftpServer } from '../../src/tftp/server.js';
import { ReadTransfer, type TransferResult } from '../../src/tftp/transfer/transfer.js';
import { requireCommands, runCommand } from '../../lab/process.js';
import { FakeClock, PERFECT, seededRandom, settle, SimulatedClient } from './fake-network.js';
import { md5, tftpTestSettings } from './support.js';

describe('BufferPool', () => {
  it('hands a released ring to the next request of the same size, and allocates for other sizes', () => {
    const pool = new BufferPool(1 << 20);
    const first = pool.acquire(100_000);
    pool.release(first);
    expect(pool.idleByteCount).toBe(100_000);
    expect(pool.acquire(90_000)).not.toBe(first);
    expect(pool.acquire(100_000)).toBe(first);
    expect(pool.reused).toBe(1);
    expect(pool.idleByteCount).toBe(0);
  });

  it('keeps a ring released twice only once, so two transfers never share it', () => {
    const pool = new BufferPool(1 << 20);
    const ring = pool.acquire(50_000);
    pool.release(ring);
    pool.release(ring);
    expect(pool.idleByteCount).toBe(50_000);
    const a = pool.acquire(50_000);
    const b = pool.acquire(50_000);
    expect(a).toBe(ring);
    expect(b).not.toBe(ring);
  });

  it('leaves small rings, slices and rings beyond its idle bound to the collector', () => {
    const pool = new BufferPool(120_000);
    pool.release(Buffer.allocUnsafe(MIN_POOLED_BYTES - 1));
    pool.release(Buffer.allocUnsafe(200_000).subarray(0, 100_000));
    expect(pool.idleByteCount).toBe(0);
    pool.release(pool.acquire(100_000));
    pool.release(pool.acquire(100_001));
    expect(pool.idleByteCount).toBe(100_000);
  });
});

/** A sender that still holds a send queued when the transfer ends, as a socket whose send buffer is full does. */
class QueueingClient extends SimulatedClient {
  override pendingSends(): number {
    // From the final block on (the client has it; the transfer ends on its ACK).
    return this.done ? 1 : 0;
  }
}

/** A lock-step transfer at blksize 1408 to `client`, its ring from `pool`; `ended()` is its result once it ended. */
function pooledTransfer(pool: BufferPool, content: Content, client: SimulatedClient, clock: FakeClock) {
  let result: TransferResult | null = null;
  const transfer = new ReadTransfer({
    content,
    blksize: 1408,
    windowsize: 1,
    timeoutMs: 1000,
    retries: 5,
    oack: [],
    sender: client,
    clock,
    ringPool: pool,
    onEnd: (r) => (result = r),
  });
  client.server = transfer;
  return { transfer, ended: () => result };
}

/** One transfer over the simulated network with a ring pool, run until it ends (bounded in steps). */
async function transferWithPool(pool: BufferPool, payload: Buffer, sender?: (clock: FakeClock) => SimulatedClient) {
  const clock = new FakeClock();
  const client = sender?.(clock) ?? new SimulatedClient(clock, seededRandom(1), PERFECT, 1408, 1);
  const { transfer, ended } = pooledTransfer(pool, bufferContent(payload), client, clock);
  transfer.start();
  for (let steps = 0; steps < 100_000 && !(ended() !== null && clock.pending === 0); steps += 1) {
    await settle();
    if (!clock.runNext()) await settle();
  }
  return { result: ended(), client };
}

/** A pool that counts the bytes of every ring it hands out. */
class CountingPool extends BufferPool {
  handedOut: number[] = [];

  override acquire(bytes: number): Buffer {
    this.handedOut.push(bytes);
    return super.acquire(bytes);
  }
}

/** A 30 MiB file (the storm's initrd) that is never read: only its size shapes the ring. */
const LARGE_FILE: Content = {
  size: 30 * 2 ** 20,
  source: 'generated',
  read: async () => Buffer.alloc(0),
  close: async () => {},
};

describe('read-ahead memory per transfer', () => {
  const transferRing = (pool: BufferPool, blksize: number, windowsize: number) =>
    new ReadTransfer({ content: LARGE_FILE, blksize, windowsize, timeoutMs: 1000, retries: 5, oack: [], sender: new SimulatedClient(new FakeClock(), seededRandom(1), PERFECT, blksize, windowsize), ringPool: pool, onEnd: () => {} });

  it.each([512, 1024, 1408, 1432, 1468, 4096, 8192])('keeps a lock-step transfer at blksize %i under 18 KiB of ring, and at least the pooled size', (blksize) => {
    const pool = new CountingPool(0);
    transferRing(pool, blksize, 1);
    expect(pool.handedOut).toHaveLength(1);
    expect(pool.handedOut[0]).toBeLessThan(18 * 1024);
    expect(pool.handedOut[0]).toBeGreaterThanOrEqual(MIN_POOLED_BYTES);
  });

  it('holds 500 concurrent PXELINUX transfers (blksize 1408, lock-step) in under 8.5 MiB of rings', () => {
    const pool = new CountingPool(0);
    for (let i = 0; i < 500; i += 1) transferRing(pool, 1408, 1);
    expect(pool.handedOut.reduce((sum, bytes) => sum + bytes, 0)).toBeLessThan(8.5 * 2 ** 20);
  });

  it('sizes the ring of a windowed transfer by its window: two windows of 16 × 1468', () => {
    const pool = new CountingPool(0);
    transferRing(pool, 1468, 16);
    expect(pool.handedOut[0]).toBe(2 * 16 * (1468 + 4));
  });
});

describe('ReadTransfer with a ring pool', () => {
  it('gives its ring back when it completes, and the next transfer sends its own data from it', async () => {
    const pool = new BufferPool(1 << 24);
    const a = randomBytes(300_000);
    const b = randomBytes(300_000);
    const first = await transferWithPool(pool, a);
    expect(first.result?.outcome).toBe('complete');
    expect(pool.idleByteCount).toBeGreaterThan(0);
    const second = await transferWithPool(pool, b);
    expect(pool.reused).toBe(1);
    expect(second.result?.outcome).toBe('complete');
    expect(second.client.data().equals(b)).toBe(true);
  });

  it('keeps the ring from the pool while a send from it is still queued', async () => {
    const pool = new BufferPool(1 << 24);
    const { result } = await transferWithPool(pool, randomBytes(300_000), (clock) => new QueueingClient(clock, seededRandom(1), PERFECT, 1408, 1));
    expect(result?.outcome).toBe('complete');
    expect(pool.idleByteCount).toBe(0);
  });

  it('gives the ring back only after a read into it, still running when the transfer ended, is done', async () => {
    const pool = new BufferPool(1 << 24);
    const payload = randomBytes(300_000);
    let finishRead: () => void = () => {};
    // Content that reads only when the test lets it: the transfer ends with the first read outstanding.
    const slow: Content = {
      size: payload.length,
      source: 'generated',
      read: (position, length) =>
        new Promise((resolve) => {
          finishRead = () => resolve(payload.subarray(position, position + length));
        }),
      close: async () => {},
    };
    const clock = new FakeClock();
    const { transfer, ended } = pooledTransfer(pool, slow, new SimulatedClient(clock, seededRandom(1), PERFECT, 1408, 1), clock);
    transfer.start();
    transfer.cancel('server stopping');
    expect(ended()).toMatchObject({ outcome: 'error' });
    expect(pool.idleByteCount).toBe(0);
    finishRead();
    await settle();
    expect(pool.idleByteCount).toBeGreaterThan(0);
  });
});

describe.each(['native', 'dgram'] as const)('reused rings with real tftp-hpa clients (%s engine)', (engine) => {
  const FILES = 6;
  const SIZE = 3 * 1024 * 1024 + 77;
  let dir: string;
  const sums: string[] = [];

  beforeAll(async () => {
    await requireCommands('tftp');
    dir = mkdtempSync(join(tmpdir(), 'xenboot-ring-pool-'));
    for (let i = 0; i < FILES; i += 1) {
      const data = randomBytes(SIZE);
      writeFileSync(join(dir, `f${i}.bin`), data);
      sums.push(md5(data));
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('delivers every file intact, concurrently and again, with later transfers on earlier rings', async () => {
    const tftp = new TftpServer({
      settings: tftpTestSettings({ maxTransfers: 20, maxTransfersPerClient: 20, maxQueued: 20, engine }),
      content: staticFileHandler(dir),
      logger: silentLogger(),
      events: new EventBus(),
    });
    const { port } = await tftp.listen('127.0.0.1', 0);
    try {
      for (let round = 0; round < 2; round += 1) {
        // tftp-hpa's default blksize 512 in lock-step: ring size 2 × 128 blocks of 516 bytes for all.
        const results = await Promise.all(
          sums.map((_, i) =>
            runCommand('tftp', ['-m', 'binary', '127.0.0.1', String(port), '-c', 'get', `f${i}.bin`, join(dir, `out-${round}-${i}.bin`)], {
              timeoutMs: 60_000,
            }),
          ),
        );
        for (const [i, result] of results.entries()) {
          expect(result.timedOut).toBe(false);
          expect(md5(join(dir, `out-${round}-${i}.bin`))).toBe(sums[i]);
        }
      }
      // The second round's six transfers started after the first round's had ended.
      expect(tftp.ringPool.reused).toBeGreaterThanOrEqual(FILES);
    } finally {
      await tftp.close();
    }
  }, 120_000);
});
