/**
 * `tftp-get` (tftp-get.c beside this file): a TFTP read as PXELINUX does it, done by a C process of its
 * own blocked on its socket as a real machine is. The storm benchmark runs hundreds of them; the lab test
 * (test/lab/tftp-get.test.ts) proves it counts and gives up as it should. This file compiles it and runs
 * one read; the result has the same shape as the TypeScript reader's in bench/storm/tftp-client.ts.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { runCommand, type CommandResult } from '../process.js';
import { repoRoot } from '../xenboot.js';

/** How a read ended. */
export interface TftpReadResult {
  found: boolean;
  bytes: number;
  /** tsize from the OACK, when the server sent one. */
  tsize?: number;
  retransmits: number;
  error?: string;
}

/** Options of one read. */
export interface TftpReadOptions {
  server: string;
  port?: number;
  /** Local address the transfer is sent from (the client's leased IP). */
  localAddress: string;
  file: string;
  blksize?: number;
  /** First retransmit timeout; doubles on each retry. */
  timeoutMs?: number;
  retries?: number;
}

/** Compiles lab/clients/tftp-get.c with cc into `output`; the caller checks the result (warnings are on stderr). */
export function buildTftpGet(output: string): Promise<CommandResult> {
  return runCommand('cc', ['-O2', '-Wall', '-o', output, join(repoRoot, 'lab/clients/tftp-get.c')], { timeoutMs: 60_000 });
}

/** How tftp-get waits for a packet: blocked in recv() on a connected socket, or in poll() then recvfrom(). */
export type BulkTftpWait = 'recv' | 'poll';

/**
 * One read done by `program` (tftp-get.c, compiled by `buildTftpGet`); never rejects (failures are in
 * the result).
 */
export function tftpReadWithProgram(program: string, options: TftpReadOptions, wait: BulkTftpWait = 'recv'): Promise<TftpReadResult> {
  const { server, port = 69, localAddress, file, blksize = 512, timeoutMs = 1_000, retries = 6 } = options;
  const args = [localAddress, server, String(port), file, String(blksize), String(timeoutMs), String(retries), wait];
  // Bounded: the client's own retries end it well before this.
  const limitMs = timeoutMs * 2 ** (retries + 1) + 600_000;
  return new Promise((resolve) => {
    execFile(program, args, { timeout: limitMs, maxBuffer: 64 * 1024 }, (error, stdout) => {
      try {
        resolve(JSON.parse(stdout) as TftpReadResult);
      } catch {
        resolve({ found: false, bytes: 0, retransmits: 0, error: `${program}: ${error?.message ?? 'no report'}` });
      }
    });
  });
}
