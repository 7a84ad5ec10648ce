/**
 * The lab's C TFTP client (lab/clients/tftp-get.c, the storm benchmark's bulk reader), compiled here with
 * cc: in both of its wait modes it reads whole files from a real `xenboot serve` (the byte count it
 * reports must equal the file's size and the server's tsize), reports a missing file with the server's error, gives up after its
 * retransmissions when nothing answers, and refuses an unknown wait mode. A benchmark whose client
 * miscounted or hung would compare nothing.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTftpGet, tftpReadWithProgram, type BulkTftpWait } from '../../lab/clients/tftp-get.js';
import { requireCommands, runCommand, type RunningProcess } from '../../lab/process.js';
import { makeTftpRoot, startTftpXenboot, TEST_FILES } from '../tftp/support.js';

let buildDir: string;
let program: string;
let files: ReturnType<typeof makeTftpRoot>;
let xenboot: { proc: RunningProcess; port: number };

beforeAll(async () => {
  await requireCommands('cc');
  buildDir = mkdtempSync(join(tmpdir(), 'xenboot-tftp-get-'));
  program = join(buildDir, 'tftp-get');
  const built = await buildTftpGet(program);
  expect(built.stderr).toBe(''); // no warning under -Wall
  expect(built.code).toBe(0);
  files = makeTftpRoot(['b511.bin', 'b512.bin', 'one-mib.bin']);
  xenboot = await startTftpXenboot(files.dir, files.root);
});

afterAll(async () => {
  await xenboot?.proc.stop();
  rmSync(buildDir, { recursive: true, force: true });
  if (files) rmSync(files.dir, { recursive: true, force: true });
});

describe.each<BulkTftpWait>(['recv', 'poll'])('tftp-get waiting in %s', (wait) => {
  it.each(['b511.bin', 'b512.bin', 'one-mib.bin'])('reads %s whole at blksize 1408, as tsize announced', async (file) => {
    const result = await tftpReadWithProgram(program, { server: '127.0.0.1', port: xenboot.port, localAddress: '127.0.0.1', file, blksize: 1408 }, wait);
    expect(result).toEqual({ found: true, bytes: TEST_FILES[file], tsize: TEST_FILES[file], retransmits: 0 });
  });

  it('reports a missing file with the server error', async () => {
    const result = await tftpReadWithProgram(program, { server: '127.0.0.1', port: xenboot.port, localAddress: '127.0.0.1', file: 'missing.bin', blksize: 1408 }, wait);
    expect(result.found).toBe(false);
    expect(result.error).toMatch(/^ERROR 1 /);
  });

  it('retransmits its request on each timeout, then gives up', async () => {
    // A bound socket that never answers: the requests reach it and nothing comes back.
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    let requests = 0;
    silent.on('message', () => (requests += 1));
    try {
      const result = await tftpReadWithProgram(
        program,
        { server: '127.0.0.1', port: silent.address().port, localAddress: '127.0.0.1', file: 'b512.bin', blksize: 1408, timeoutMs: 50, retries: 2 },
        wait,
      );
      expect(result).toMatchObject({ found: false, bytes: 0, retransmits: 2, error: 'timeout after 2 retransmissions (block 1)' });
      expect(requests).toBe(3);
    } finally {
      silent.close();
    }
  });
});

it('refuses an unknown wait mode with exit status 2', async () => {
  const result = await runCommand(program, ['127.0.0.1', '127.0.0.1', String(xenboot.port), 'b512.bin', '1408', '1000', '6', 'spin']);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('the wait mode must be recv or poll');
});
