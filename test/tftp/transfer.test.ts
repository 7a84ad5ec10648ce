import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bufferContent, type Content, type FileContent } from '../../src/content/types.js';
import { FINAL_ACK_GRACE_MS, ReadTransfer, READ_AHEAD_BYTES, UNSHARED, type TransferResult, type TransferSender } from '../../src/tftp/transfer/transfer.js';
import { Window } from '../../src/tftp/transfer/window.js';
import { FakeClock, PERFECT, seededRandom, settle, SimulatedClient, type Impairment } from './fake-network.js';

interface RunOptions {
  size: number;
  blksize?: number;
  windowsize?: number;
  oack?: boolean;
  impairment?: Impairment;
  seed?: number;
  retries?: number;
  content?: Content;
  /** A page-cache read for the sender to offer, as the native engine does. */
  readCached?: TransferSender['readCached'];
}

/** Runs one transfer over the simulated network until it ends (bounded in steps). */
async function run(options: RunOptions) {
  const blksize = options.blksize ?? 512;
  const windowsize = options.windowsize ?? 1;
  const payload = randomBytes(options.size);
  const content = options.content ?? bufferContent(payload);
  const clock = new FakeClock();
  const client = new SimulatedClient(clock, seededRandom(options.seed ?? 1), options.impairment ?? PERFECT, blksize, windowsize);
  let result: TransferResult | null = null;
  const transfer = new ReadTransfer({
    content,
    blksize,
    windowsize,
    timeoutMs: 1000,
    retries: options.retries ?? 8,
    oack: options.oack ? [{ name: 'blksize', value: String(blksize) }] : [],
    sender: options.readCached ? Object.assign(client, { readCached: options.readCached }) : client,
    clock,
    onEnd: (r) => (result = r),
  });
  client.server = transfer;
  transfer.start();
  const maxSteps = 2_000_000;
  let steps = 0;
  for (; steps < maxSteps; steps += 1) {
    await settle();
    if (result !== null && clock.pending === 0) break;
    if (!clock.runNext()) {
      await settle();
      if (clock.pending === 0) break;
    }
  }
  expect(steps).toBeLessThan(maxSteps);
  return { result: result as TransferResult | null, client, payload, transfer };
}

describe('ReadTransfer on a perfect network', () => {
  it.each([0, 1, 511, 512, 513, 1024, 5000])('sends %i bytes in lock-step with a final short block', async (size) => {
    const { result, client, payload } = await run({ size });
    expect(result).toMatchObject({ outcome: 'complete', bytes: size, retransmits: 0 });
    expect(client.data().equals(payload)).toBe(true);
    // floor(size / 512) full blocks and one short (possibly empty) block.
    expect(client.dataSent).toBe(Math.floor(size / 512) + 1);
    expect(client.received.at(-1)!.length).toBe(size % 512);
  });

  it('sends an OACK first and waits for ACK 0', async () => {
    const { result, client, payload } = await run({ size: 3000, blksize: 1024, oack: true });
    expect(result?.outcome).toBe('complete');
    expect(client.data().equals(payload)).toBe(true);
  });

  it.each([2, 4, 16, 64])('sends windows of %i blocks (RFC 7440)', async (windowsize) => {
    const { result, client, payload } = await run({ size: 200_000, blksize: 1468, windowsize });
    expect(result).toMatchObject({ outcome: 'complete', retransmits: 0 });
    expect(client.data().equals(payload)).toBe(true);
  });

  it('rolls the block number over from 65535 to 0', async () => {
    const blksize = 8;
    const size = blksize * 70_000 + 3;
    const { result, client, payload } = await run({ size, blksize, windowsize: 8 });
    expect(result?.outcome).toBe('complete');
    expect(client.data().equals(payload)).toBe(true);
    const at = client.wireBlocks.indexOf(65535);
    expect(client.wireBlocks.slice(at, at + 3)).toEqual([65535, 0, 1]);
    expect(client.wireBlocks.length).toBe(70_001);
  });

  it('reads ahead in bounded chunks (at most the larger of the window and the read-ahead size)', async () => {
    const payload = randomBytes(1_000_000);
    const inner = bufferContent(payload);
    let largest = 0;
    const content: Content = {
      size: inner.size,
      source: 'file',
      read: (p, l) => inner.read(p, l),
      async readInto(targets, position) {
        largest = Math.max(largest, targets.reduce((sum, t) => sum + t.length, 0));
        return inner.readInto!(targets, position);
      },
      close: () => inner.close(),
    };
    const { result, client } = await run({ size: payload.length, blksize: 1468, windowsize: 4, content });
    expect(result?.outcome).toBe('complete');
    expect(client.data().equals(payload)).toBe(true);
    expect(largest).toBeLessThanOrEqual(READ_AHEAD_BYTES + 1468);
    expect(largest).toBeGreaterThan(0);
  });
});

describe('ReadTransfer reads', () => {
  it('loads file chunks from the page cache through the sender at once where it can, and waits for readInto where it cannot', async () => {
    const payload = randomBytes(1_000_000);
    const inner = bufferContent(payload);
    let fromCache = 0;
    let waited = 0;
    let calls = 0;
    const content: FileContent = {
      size: inner.size,
      source: 'file',
      fd: 42,
      read: (position, length) => inner.read(position, length),
      async readInto(targets, position) {
        waited += 1;
        return inner.readInto!(targets, position);
      },
      close: () => inner.close(),
    };
    const { result, client } = await run({
      size: payload.length,
      blksize: 1468,
      windowsize: 4,
      content,
      // Every other chunk "is not in the page cache".
      readCached(fd, targets, position) {
        expect(fd).toBe(42);
        calls += 1;
        if (calls % 2 === 0) return null;
        fromCache += 1;
        return inner.readIntoSync!(targets, position);
      },
    });
    expect(result?.outcome).toBe('complete');
    expect(client.data().equals(payload)).toBe(true);
    expect(fromCache).toBeGreaterThan(3);
    expect(waited).toBeGreaterThan(3);
  });
});

describe('ReadTransfer rules', () => {
  function manual(size: number, windowsize = 1, oack = false, retries = 3) {
    const clock = new FakeClock();
    const sent: Array<{ opcode: number; block: number }> = [];
    let result: TransferResult | null = null;
    const transfer = new ReadTransfer({
      content: bufferContent(Buffer.alloc(size, 7)),
      blksize: 512,
      windowsize,
      timeoutMs: 1000,
      retries,
      oack: oack ? [{ name: 'tsize', value: String(size) }] : [],
      sender: { send: (b, o) => sent.push({ opcode: b.readUInt16BE(o), block: b.readUInt16BE(o + 2) }), pendingSends: () => 0, ...UNSHARED },
      clock,
      onEnd: (r) => (result = r),
    });
    return { clock, sent, transfer, result: () => result };
  }

  it('never resends on a duplicate ACK (Sorcerer’s Apprentice)', async () => {
    const t = manual(5000);
    t.transfer.start();
    await settle();
    expect(t.sent).toEqual([{ opcode: 3, block: 1 }]);
    t.transfer.handleAck(1);
    await settle();
    t.transfer.handleAck(1);
    t.transfer.handleAck(1);
    await settle();
    expect(t.sent.map((p) => p.block)).toEqual([1, 2]);
  });

  it('resends the window on timeout and gives up after the configured retries', async () => {
    const t = manual(5000, 4, false, 3);
    t.transfer.start();
    await settle();
    expect(t.sent.map((p) => p.block)).toEqual([1, 2, 3, 4]);
    for (let i = 0; i < 3; i += 1) t.clock.runNext();
    expect(t.sent.map((p) => p.block)).toEqual([1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4]);
    t.clock.runNext();
    expect(t.result()).toMatchObject({ outcome: 'timeout', bytes: 0, retransmits: 12 });
    expect(t.clock.pending).toBe(0);
  });

  it('slides the window to n+1 on an ACK inside the window (the client saw a gap)', async () => {
    const t = manual(10_000, 4);
    t.transfer.start();
    await settle();
    t.transfer.handleAck(2);
    await settle();
    expect(t.sent.map((p) => p.block)).toEqual([1, 2, 3, 4, 3, 4, 5, 6]);
    t.transfer.handleAck(6);
    await settle();
    expect(t.sent.map((p) => p.block).slice(8)).toEqual([7, 8, 9, 10]);
  });

  it('after going back, an ACK inside the resent window slides it without resending (atftp)', async () => {
    // atftp ACKs every windowsize-th block it receives; once the server has gone back, those ACKs fall
    // inside its windows. Going back for each would send every block twice from then on.
    const t = manual(20_000, 4);
    t.transfer.start();
    await settle();
    t.clock.runNext(); // timeout: resend 1–4
    expect(t.sent.map((p) => p.block)).toEqual([1, 2, 3, 4, 1, 2, 3, 4]);
    t.transfer.handleAck(3); // inside the resent window, sent before the client saw the resend
    await settle();
    expect(t.sent.map((p) => p.block).slice(8)).toEqual([5, 6, 7]);
    t.transfer.handleAck(7); // the highest block sent: the window slides as usual
    await settle();
    expect(t.sent.map((p) => p.block).slice(11)).toEqual([8, 9, 10, 11]);
    t.transfer.handleAck(9); // a gap in blocks sent after the last going back: go back
    await settle();
    expect(t.sent.map((p) => p.block).slice(15)).toEqual([10, 11, 12, 13]);
  });

  it('goes back once per base on duplicate ACKs in a window, never in lock-step (EDK2 after a second loss)', async () => {
    // EDK2 repeats its last in-order ACK for every block out of order.
    const t = manual(20_000, 4);
    t.transfer.start();
    await settle();
    t.transfer.handleAck(1); // block 2 lost: go back to 2
    t.transfer.handleAck(1); // the same ACK for blocks 3 and 4: already gone back there
    t.transfer.handleAck(1);
    await settle();
    expect(t.sent.map((p) => p.block)).toEqual([1, 2, 3, 4, 2, 3, 4, 5]);
    t.transfer.handleAck(2); // block 3 lost again, among the resent blocks: no going back for it…
    await settle();
    expect(t.sent.map((p) => p.block).slice(8)).toEqual([6]);
    for (let i = 0; i < 5; i += 1) t.transfer.handleAck(2); // …but its duplicates make it go back, once
    await settle();
    expect(t.sent.map((p) => p.block).slice(9)).toEqual([3, 4, 5, 6]);
    expect(t.result()).toBeNull();

    const lockStep = manual(5000, 1);
    lockStep.transfer.start();
    await settle();
    lockStep.transfer.handleAck(1);
    for (let i = 0; i < 3; i += 1) lockStep.transfer.handleAck(1);
    await settle();
    expect(lockStep.sent.map((p) => p.block)).toEqual([1, 2]);
  });

  it('ignores ACKs for blocks not sent yet and stale ACKs', async () => {
    const t = manual(10_000, 2);
    t.transfer.start();
    await settle();
    t.transfer.handleAck(9);
    t.transfer.handleAck(65000);
    await settle();
    expect(t.sent.map((p) => p.block)).toEqual([1, 2]);
    t.transfer.handleAck(2);
    await settle();
    t.transfer.handleAck(1);
    await settle();
    expect(t.sent.map((p) => p.block)).toEqual([1, 2, 3, 4]);
  });

  it('ends aborted at once when the client becomes unreachable with blocks still unsent', async () => {
    const t = manual(10_000, 4);
    t.transfer.start();
    await settle();
    t.transfer.handleAck(4);
    await settle();
    t.transfer.clientUnreachable();
    expect(t.result()).toMatchObject({ outcome: 'aborted', bytes: 2048, error: 'client port unreachable' });
    expect(t.clock.pending).toBe(0);
  });

  it('once the last block is out, completes on a final ACK read after the port-unreachable error', async () => {
    // 5000 bytes: blocks 1–10, the last one short. The client's ACKs trail what it has (it has all 10 by
    // the time ACK 8 is read): the answer re-sends 9–10 to a client already gone, and its final ACK 10
    // is queued behind the ICMP error those resends bring back.
    const t = manual(5000, 4);
    t.transfer.start();
    await settle();
    for (const ack of [4, 6, 8]) {
      t.transfer.handleAck(ack);
      await settle();
    }
    expect(t.sent.map((p) => p.block)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 7, 8, 9, 10, 9, 10]);
    t.transfer.clientUnreachable();
    t.transfer.clientUnreachable();
    expect(t.result()).toBeNull();
    t.clock.advance(FINAL_ACK_GRACE_MS - 1);
    expect(t.result()).toBeNull();
    t.transfer.handleAck(10);
    expect(t.result()).toMatchObject({ outcome: 'complete', bytes: 5000 });
    expect(t.clock.pending).toBe(0);
  });

  it('once the last block is out, ends aborted when no final ACK comes within the grace period', async () => {
    const t = manual(5000, 4);
    t.transfer.start();
    await settle();
    for (const ack of [4, 8]) {
      t.transfer.handleAck(ack);
      await settle();
    }
    t.transfer.clientUnreachable();
    t.clock.advance(FINAL_ACK_GRACE_MS);
    expect(t.result()).toMatchObject({ outcome: 'aborted', bytes: 4096, error: 'client port unreachable' });
    expect(t.clock.pending).toBe(0);
  });

  it('a timer that fires after progress waits for the rest of the timeout instead of resending', async () => {
    const t = manual(5000);
    t.transfer.start();
    await settle();
    t.clock.advance(500);
    t.transfer.handleAck(1);
    await settle();
    t.clock.runNext(); // the timer armed at start fires at 1000 ms, but progress moved the deadline to 1500
    expect(t.sent.map((p) => p.block)).toEqual([1, 2]);
    t.clock.runNext();
    expect(t.clock.now()).toBe(1500);
    expect(t.sent.map((p) => p.block)).toEqual([1, 2, 2]);
  });

  it('resends the OACK on timeout and ends quietly on a client ERROR after it (UEFI tsize probe)', async () => {
    const t = manual(5000, 1, true);
    t.transfer.start();
    expect(t.sent).toEqual([{ opcode: 6, block: 0x7473 /* "ts" of tsize */ }]);
    t.clock.runNext();
    expect(t.sent.length).toBe(2);
    t.transfer.handleError(8, 'User aborted the transfer');
    expect(t.result()).toMatchObject({ outcome: 'aborted', bytes: 0, error: 'client sent ERROR 8: User aborted the transfer' });
    expect(t.clock.pending).toBe(0);
    t.transfer.handleAck(0);
    expect(t.sent.length).toBe(2);
  });

  it('waits oackTimeoutMs before resending the OACK, then timeoutMs between DATA resends', async () => {
    const clock = new FakeClock();
    const sent: number[] = [];
    const transfer = new ReadTransfer({
      content: bufferContent(Buffer.alloc(5000, 7)),
      blksize: 512,
      windowsize: 1,
      timeoutMs: 50,
      oackTimeoutMs: 1000,
      retries: 3,
      oack: [{ name: 'tsize', value: '5000' }],
      sender: { send: (b, o) => sent.push(b.readUInt16BE(o)), pendingSends: () => 0, ...UNSHARED },
      clock,
      onEnd: () => {},
    });
    transfer.start();
    await settle();
    clock.advance(999);
    expect(sent).toEqual([6]); // the client may still be answering: no second OACK yet
    clock.advance(1);
    expect(sent).toEqual([6, 6]);
    transfer.handleAck(0);
    await settle();
    expect(sent).toEqual([6, 6, 3]);
    clock.advance(50);
    expect(sent).toEqual([6, 6, 3, 3]);
    transfer.cancel('done');
  });

  it('while the addon makes progress, the timer waits on without taking the window back', async () => {
    const clock = new FakeClock();
    const sent: number[] = [];
    const calls: string[] = [];
    let window: Window | undefined;
    const transfer = new ReadTransfer({
      content: bufferContent(Buffer.alloc(50_000, 7)),
      blksize: 512,
      windowsize: 1,
      timeoutMs: 100,
      retries: 3,
      oack: [],
      sender: {
        send: (b, o) => sent.push(b.readUInt16BE(o + 2)),
        pendingSends: () => 0,
        accelerate: (w) => (window = w),
        exclusive<T>(step: () => T): T {
          calls.push('take back');
          try {
            return step();
          } finally {
            calls.push('lend out');
          }
        },
      },
      clock,
      onEnd: () => {},
    });
    transfer.start();
    await settle();
    expect(window).toBeDefined();
    calls.length = 0;
    // The ACK thread answers ACKs and records progress, as the addon does in the shared window.
    for (let tick = 0; tick < 5; tick += 1) {
      clock.advance(60);
      window!.progressAt = clock.now();
    }
    clock.advance(60);
    expect(calls, 'no hand-over while progress is recorded').toEqual([]);
    expect(sent).toEqual([1]);
    // No progress for a whole timeout: the window is taken back and the block resent.
    clock.advance(100);
    expect(calls).toEqual(['take back', 'lend out']);
    expect(sent).toEqual([1, 1]);
    transfer.cancel('done');
  });

  it('ignores DATA-block ACKs while waiting for the OACK acknowledgement', async () => {
    const t = manual(5000, 1, true);
    t.transfer.start();
    t.transfer.handleAck(1);
    await settle();
    expect(t.sent.length).toBe(1);
    t.transfer.handleAck(0);
    await settle();
    expect(t.sent.at(-1)).toEqual({ opcode: 3, block: 1 });
  });

  it('ends with an error when the file is shorter than announced', async () => {
    const clock = new FakeClock();
    let result: TransferResult | null = null;
    const shrunk: Content = { ...bufferContent(Buffer.alloc(100)), size: 5000 };
    delete (shrunk as { readInto?: unknown }).readInto;
    const transfer = new ReadTransfer({
      content: shrunk,
      blksize: 512,
      windowsize: 1,
      timeoutMs: 1000,
      retries: 3,
      oack: [],
      sender: { send: () => {}, pendingSends: () => 0, ...UNSHARED },
      clock,
      onEnd: (r) => (result = r),
    });
    transfer.start();
    await settle();
    expect(result).toMatchObject({ outcome: 'error' });
    expect((result as TransferResult | null)?.error).toMatch(/short read/);
  });
});

describe('ReadTransfer on a bad network', () => {
  const bad: Impairment = { loss: 0.05, duplicate: 0.05, reorder: 0.1, jitterMs: 30 };
  it.each([
    [1, 1],
    [2, 1],
    [3, 8],
    [4, 8],
    [5, 16],
    [6, 4],
  ])('seed %i, windowsize %i: completes intact despite loss, duplication and reordering', async (seed, windowsize) => {
    const { result, client, payload } = await run({ size: 150_000, blksize: 512, windowsize, impairment: bad, seed, oack: true, retries: 20 });
    expect(client.data().equals(payload)).toBe(true);
    expect(result?.outcome).toBe('complete');
    expect(result!.retransmits).toBeGreaterThan(0);
  });

  it('with windows, resends about one window per loss (an EDK2-like client ACKs every gap at once)', async () => {
    const loss = 0.01;
    const { result, client } = await run({ size: 512 * 4000, blksize: 512, windowsize: 8, impairment: { loss, duplicate: 0, reorder: 0, jitterMs: 0 }, seed: 5 });
    expect(result?.outcome).toBe('complete');
    // About 4000 × 1 % DATA losses, each costing at most the rest of a window of 8; lost ACKs cost a resend too.
    expect(client.dataSent).toBeLessThan(4000 + 8 * 4000 * loss * 1.5);
  });

  it('does not snowball: resends stay proportional to the losses', async () => {
    const { result, client } = await run({ size: 512 * 2000, blksize: 512, impairment: { loss: 0.01, duplicate: 0.02, reorder: 0, jitterMs: 0 }, seed: 9 });
    expect(result?.outcome).toBe('complete');
    // ~2000 blocks, ~2 % of round trips lost: far below one resend per block.
    expect(client.dataSent).toBeLessThan(2001 + 200);
  });
});
