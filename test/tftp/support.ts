/**
 * Shared setup for the real-client TFTP tests: a TFTP root of random files with known MD5s, and a real
 * `xenboot serve` child whose TFTP port is read back from its log (the config asks for port 0); and the
 * settings of an in-process `TftpServer`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Namespace } from '../../lab/netns.js';
import type { RunningProcess } from '../../lab/process.js';
import { startXenboot, writeTempConfig } from '../../lab/xenboot.js';
import type { TftpServerSettings } from '../../src/tftp/server.js';

/**
 * Settings of an in-process `TftpServer` in the tests: every option allowed up to the protocol's limits,
 * a 1 s retransmit timeout with 5 retries, room for 10 transfers, no answers to strangers; `overrides` on top.
 */
export function tftpTestSettings(overrides: Partial<TftpServerSettings> = {}): TftpServerSettings {
  return {
    maxBlksize: 65464,
    maxWindowsize: 64,
    maxWindowBytes: 96 * 1024,
    timeoutMs: 1_000,
    retries: 5,
    maxTransfers: 10,
    maxTransfersPerClient: 10,
    maxQueued: 10,
    queueTimeoutMs: 5_000,
    answerStrangers: false,
    engine: 'native',
    ...overrides,
  };
}

/** File name → size for the test root (0/511/512/513 bytes around the block boundary, 1 MiB, 40 MiB). */
export const TEST_FILES: Record<string, number> = {
  'empty.bin': 0,
  'b511.bin': 511,
  'b512.bin': 512,
  'b513.bin': 513,
  'one-mib.bin': 1024 * 1024,
  // Over 65535 × 512 bytes: needs block-number rollover at blksize 512.
  'forty-mib.bin': 40 * 1024 * 1024,
};

/** MD5 of a buffer or file, hex. */
export function md5(data: Buffer | string): string {
  return createHash('md5').update(typeof data === 'string' ? readFileSync(data) : data).digest('hex');
}

/** A temporary directory with `root/` filled with `TEST_FILES` (random bytes) and `out/` for downloads. */
export function makeTftpRoot(names: string[] = Object.keys(TEST_FILES)): { dir: string; root: string; out: string; md5s: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'xenboot-tftp-'));
  const root = join(dir, 'root');
  const out = join(dir, 'out');
  mkdirSync(root);
  mkdirSync(out);
  const md5s: Record<string, string> = {};
  for (const name of names) {
    const data = randomBytes(TEST_FILES[name]!);
    writeFileSync(join(root, name), data);
    md5s[name] = md5(data);
  }
  return { dir, root, out, md5s };
}

/** Starts `xenboot serve` with TFTP on `address` (port 0 → a free port) and returns the child and port. */
export async function startTftpXenboot(
  dir: string,
  root: string,
  options: { address?: string; ns?: Namespace; tftp?: Record<string, unknown>; logLevel?: string } = {},
): Promise<{ proc: RunningProcess; port: number }> {
  const address = options.address ?? '127.0.0.1';
  const config = {
    server: { address },
    log: { format: 'json', level: options.logLevel ?? 'info' },
    http: { enabled: false },
    tftp: { port: 0, root, ...options.tftp },
  };
  const proc = await startXenboot(writeTempConfig(config, dir), options.ns);
  const match = proc.output().match(/"protocol":"tftp","address":"([0-9.]+)","port":(\d+)/);
  if (!match) {
    await proc.stop();
    throw new Error(`no tftp endpoint in the log:\n${proc.output()}`);
  }
  return { proc, port: Number(match[2]) };
}
