/**
 * Running transfers: the registry, the TFTP progress sender (bounded rate, on a fake clock), and
 * `GET /api/v1/transfers/active` while an HTTP download is held open by a slow reader.
 */
import { request } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ActiveTransfers, MAX_ACTIVE } from '../../src/timeline/active-transfers.js';
import { ProgressSender, PROGRESS_INTERVAL_MS } from '../../src/tftp/progress-sender.js';
import type { TransferClock } from '../../src/tftp/transfer/transfer.js';
import { buildHarness, type Harness } from '../../lab/http/harness.js';

/** A clock whose timers run when `advance` passes them. */
function fakeClock(): TransferClock & { advance(ms: number): void; pending(): number } {
  let now = 0;
  let timers: Array<{ at: number; callback: () => void }> = [];
  return {
    now: () => now,
    setTimeout: (callback, ms) => {
      const t = { at: now + ms, callback };
      timers.push(t);
      return t;
    },
    clearTimeout: (handle) => (timers = timers.filter((t) => t !== handle)),
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers = timers.filter((t) => t !== due);
        now = due.at;
        due.callback();
      }
      now = end;
    },
    pending: () => timers.length,
  };
}

describe('active transfers', () => {
  it('lists a transfer from begin to end, with bytes and rate, and ignores reports after the end', () => {
    let now = 1000;
    const active = new ActiveTransfers(() => now);
    const id = active.begin({ via: 'tftp', file: 'vmlinuz', ip: '10.0.0.5', port: 2000, size: 4000 })!;
    now += 500;
    active.progress(id, 1000);
    expect(active.list()).toEqual([{ id, via: 'tftp', file: 'vmlinuz', ip: '10.0.0.5', port: 2000, size: 4000, bytes: 1000, startedAt: 1000, rate: 2000 }]);
    // Measured over a second at least: a burst right after a report does not count as the rate.
    now += 600;
    active.progress(id, 3000);
    expect(active.list()[0]!.rate).toBe(2727); // 3000 bytes in 1.1 s
    now += 10;
    active.progress(id, 4000);
    expect(active.list()[0]!.rate).toBe(3604); // 4000 bytes in 1.11 s: the burst is one part of it
    active.end(id);
    active.progress(id, 2000);
    expect(active.list()).toEqual([]);
  });

  it('holds at most MAX_ACTIVE transfers', () => {
    const active = new ActiveTransfers();
    for (let i = 0; i < MAX_ACTIVE; i += 1) expect(active.begin({ via: 'http', file: '/f', ip: '10.0.0.5', port: i, size: 1 })).not.toBeNull();
    expect(active.begin({ via: 'http', file: '/f', ip: '10.0.0.5', port: 0, size: 1 })).toBeNull();
  });

  it('samples TFTP transfers every PROGRESS_INTERVAL_MS while one runs, and stops its timer when none does', () => {
    const clock = fakeClock();
    const reports: Array<[string, number]> = [];
    const ended: string[] = [];
    const sender = new ProgressSender({ begin: () => null, progress: (id, bytes) => reports.push([id, bytes]), end: (id) => ended.push(id) }, clock);
    const source = { bytesAcknowledged: 0 };
    sender.add('t1', source);
    for (let i = 1; i <= 1000; i += 1) source.bytesAcknowledged = i * 512; // a thousand ACKs: no report each
    expect(reports).toEqual([]);
    clock.advance(PROGRESS_INTERVAL_MS);
    expect(reports).toEqual([['t1', 512_000]]);
    clock.advance(10 * PROGRESS_INTERVAL_MS);
    expect(reports).toHaveLength(11);
    sender.remove('t1');
    expect(ended).toEqual(['t1']);
    clock.advance(PROGRESS_INTERVAL_MS);
    expect(clock.pending()).toBe(0);
    expect(reports).toHaveLength(11);
  });

  describe('GET /api/v1/transfers/active', () => {
    let h: Harness;
    afterEach(async () => h.close());

    it('lists an HTTP download while it runs and not after, and documents its answer', async () => {
      h = await buildHarness();
      writeFileSync(join(h.root, 'big.img'), Buffer.alloc(32 * 1024 * 1024, 7));
      await h.app.listen({ host: '127.0.0.1', port: 0 });
      const port = (h.app.server.address() as { port: number }).port;
      // A reader that takes one chunk and pauses: the download stays open.
      const response = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => request({ host: '127.0.0.1', port, path: '/big.img' }, resolve).on('error', reject).end());
      let received = 0;
      await new Promise<void>((resolve) =>
        response.once('data', (chunk: Buffer) => {
          received += chunk.length;
          response.pause();
          resolve();
        }),
      );
      const during = (await h.app.inject({ url: '/api/v1/transfers/active' })).json();
      expect(during.transfers).toHaveLength(1);
      expect(during.transfers[0]).toMatchObject({ via: 'http', file: '/big.img', ip: '127.0.0.1', size: 32 * 1024 * 1024 });
      expect(during.transfers[0].bytes).toBeGreaterThanOrEqual(received);
      expect(during.transfers[0].bytes).toBeLessThan(32 * 1024 * 1024);
      response.resume();
      await new Promise((resolve) => response.on('end', resolve));
      await expect.poll(async () => (await h.app.inject({ url: '/api/v1/transfers/active' })).json().transfers, { timeout: 5000 }).toEqual([]);
      const doc = (await h.app.inject({ url: '/openapi.json' })).json();
      const schema = doc.paths['/api/v1/transfers/active'].get.responses['200'].content['application/json'].schema;
      expect(Object.keys(schema.properties.transfers.items.properties).sort()).toEqual(Object.keys(during.transfers[0]).sort());
    });
  });
});
