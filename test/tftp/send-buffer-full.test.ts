/**
 * A window larger than the path carries: xenboot in one network namespace, atftp in another, joined by
 * a veth pair whose server end is shaped to 20 Mbit/s by a token-bucket qdisc (tbf) with a queue deep
 * enough never to drop. A window of 8 blocks of 65 464 bytes (512 KiB, allowed here by raising
 * `maxWindowBytes` from its 96 KiB default) is more than the transfer
 * socket's 208 KiB send buffer holds while the qdisc drains it, so the kernel refuses sends with EAGAIN:
 * on the event loop (the window after the OACK) and on the native engine's ACK thread (every later
 * window). Those sends must wait for room and go out in order, without the client noticing. Each
 * engine must deliver the file intact; the native engine must also have counted the refusals (at least
 * one per window), which shows the path really ran. On the same link a window that fits the send buffer
 * (16 blocks of 1468 bytes) counts none, which shows the count means what it says.
 *
 * "Without the client noticing" is checked as a download with no retransmission. The client can lose
 * packets of its own when it is not scheduled for the 80 ms its 208 KiB receive buffer lasts at this
 * rate (the rest of the suite runs alongside), so a download may be repeated, up to three times in all,
 * until one has none. A server that lost or reordered refused sends would need a retransmission in
 * every one (a build that skips them needs hundreds).
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, isRoot, Namespace } from '../../lab/netns.js';
import { requireCommands, type RunningProcess } from '../../lab/process.js';
import { makeTftpRoot, md5, startTftpXenboot } from './support.js';

const SERVER_IP = '10.201.7.1';
const CLIENT_IP = '10.201.7.2';
const FILE = 'four-mb.bin';
const SIZE = 4_000_000;
const ATTEMPTS = 3;

interface CompleteLine {
  file: string;
  bytes: number;
  retransmits: number;
  sendBufferFull: number;
}

describe.each(['native', 'dgram'] as const)('a windowed download through a slower link (%s engine)', (engine) => {
  let tree: ReturnType<typeof makeTftpRoot>;
  let serverNs: Namespace | undefined;
  let clientNs: Namespace | undefined;
  let serverIf: string;
  let proc: RunningProcess | undefined;
  let port: number;
  let downloads = 0;

  beforeAll(async () => {
    if (!isRoot()) throw new Error('the send-buffer test needs root (network namespaces, tc)');
    await requireCommands('ip', 'tc', 'atftp');
    tree = makeTftpRoot([]);
    const data = randomBytes(SIZE);
    writeFileSync(join(tree.root, FILE), data);
    tree.md5s[FILE] = md5(data);
    serverNs = await Namespace.create('xbbs');
    clientNs = await Namespace.create('xbbc');
    [serverIf] = await connect(serverNs, `${SERVER_IP}/24`, clientNs, `${CLIENT_IP}/24`);
    await shape(serverNs, serverIf);
    ({ proc, port } = await startTftpXenboot(tree.dir, tree.root, { address: SERVER_IP, ns: serverNs, tftp: { engine, maxWindowBytes: 1024 * 1024 } }));
  }, 90_000);

  afterAll(async () => {
    await proc?.stop();
    await clientNs?.delete();
    await serverNs?.delete();
    if (tree) rmSync(tree.dir, { recursive: true, force: true });
  });

  /** Downloads the file with atftp; returns the server's completion log line. */
  async function download(blksize: number, windowsize: number): Promise<CompleteLine> {
    downloads += 1;
    const local = join(tree.out, `${engine}-${downloads}.bin`);
    const args = ['--option', `blksize ${blksize}`, '--option', `windowsize ${windowsize}`, '--option', 'tsize 0', '-g', '-r', FILE, '-l', local, SERVER_IP, String(port)];
    const result = await clientNs!.exec('atftp', args, { timeoutMs: 60_000 });
    expect(result.timedOut).toBe(false);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(md5(local)).toBe(tree.md5s[FILE]);
    return completionLine(downloads);
  }

  /** The server's `n`th "transfer complete" log line, parsed (it comes with the last ACK: wait up to 5 s). */
  async function completionLine(n: number): Promise<CompleteLine> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const lines = proc!.output().split('\n').filter((l) => l.includes('"msg":"transfer complete"'));
      if (lines.length >= n) return JSON.parse(lines[n - 1]!) as CompleteLine;
      if (Date.now() > deadline) throw new Error(`no completion log line ${n}:\n${proc!.output().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Downloads until one download needs no retransmission (at most ATTEMPTS); returns that one's log line. */
  async function downloadWithoutLoss(blksize: number, windowsize: number): Promise<CompleteLine> {
    const lines: CompleteLine[] = [];
    while (lines.length < ATTEMPTS) {
      const line = await download(blksize, windowsize);
      expect(line.bytes).toBe(SIZE);
      if (line.retransmits === 0) return line;
      lines.push(line);
    }
    throw new Error(`every download needed retransmissions: ${lines.map((l) => l.retransmits).join(', ')}`);
  }

  it('arrives intact, in order, while the send buffer is full', async () => {
    const line = await downloadWithoutLoss(65464, 8);
    // The qdisc really held packets back.
    const stats = await serverNs!.exec('tc', ['-s', 'qdisc', 'show', 'dev', serverIf], { timeoutMs: 10_000 });
    expect(Number(stats.stdout.match(/overlimits (\d+)/)?.[1] ?? 0), stats.stdout).toBeGreaterThan(0);
    // Every window of 8 × 65 464 bytes outgrows the send buffer; all but the first are answered on the ACK thread.
    const windows = Math.ceil(Math.ceil(SIZE / 65464) / 8);
    if (engine === 'native') expect(line.sendBufferFull).toBeGreaterThanOrEqual(windows);
    else expect(line.sendBufferFull).toBe(0);
  }, 90_000);

  it('counts no full send buffer when the window fits the send buffer', async () => {
    const line = await downloadWithoutLoss(1468, 16);
    expect(line.sendBufferFull).toBe(0);
  }, 90_000);
});

/** Shapes `dev`'s egress to 20 Mbit/s with a queue that never drops (8 MB). */
async function shape(ns: Namespace, dev: string): Promise<void> {
  const args = ['qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', '20mbit', 'burst', '64kb', 'limit', '8mb'];
  const result = await ns.exec('tc', args, { timeoutMs: 10_000 });
  if (result.code !== 0) throw new Error(`tc ${args.join(' ')} failed: ${result.stderr}`);
}
