/**
 * Real Debian TFTP clients (tftp-hpa, atftp, busybox, curl) against a real `xenboot serve` child on 127.0.0.1:
 * every file size around the block boundary, 1 MiB and 40 MiB (block-number rollover at 512), block
 * sizes 512/1468/8192/65464, windowsize, tsize as the client reports it, missing files, hostile names
 * and write requests. Checked the way a user would: MD5 of what the client wrote, and its messages.
 * Everything runs once per transfer engine (`tftp.engine` native and dgram).
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommands, runCommand, type RunningProcess } from '../../lab/process.js';
import { makeTftpRoot, md5, startTftpXenboot, TEST_FILES } from './support.js';

describe.each(['native', 'dgram'] as const)('%s transfer sockets', (engine) => {
  let tree: ReturnType<typeof makeTftpRoot>;
  let proc: RunningProcess;
  let port: number;
  let counter = 0;

  beforeAll(async () => {
    await requireCommands('tftp', 'atftp', 'curl', 'busybox');
    tree = makeTftpRoot();
    ({ proc, port } = await startTftpXenboot(tree.dir, tree.root, { tftp: { engine } }));
  }, 60_000);

  afterAll(async () => {
    await proc?.stop();
    if (tree) rmSync(tree.dir, { recursive: true, force: true });
  });

  const outFile = (name: string) => join(tree.out, `${++counter}-${name}`);

  async function tftpHpa(command: string, timeoutMs = 60_000) {
    return runCommand('tftp', ['-m', 'binary', '127.0.0.1', String(port), '-c', ...command.split(' ')], { timeoutMs, cwd: tree.out });
  }

  async function atftp(remote: string, local: string, options: string[], extra: string[] = [], timeoutMs = 60_000) {
    const args = [...options.flatMap((o) => ['--option', o]), ...extra, '-g', '-r', remote, '-l', local, '127.0.0.1', String(port)];
    return runCommand('atftp', args, { timeoutMs });
  }

  async function curl(remote: string, local: string, blksize: number, verbose = false) {
    const args = ['-sS', ...(verbose ? ['-v'] : []), '--max-time', '60', '--tftp-blksize', String(blksize), '-o', local, `tftp://127.0.0.1:${port}/${remote}`];
    return runCommand('curl', args, { timeoutMs: 70_000 });
  }

  describe('tftp-hpa', () => {
    it.each(Object.keys(TEST_FILES))('downloads %s intact', async (name) => {
      const local = outFile(name);
      const result = await tftpHpa(`get ${name} ${local}`);
      expect(result.timedOut).toBe(false);
      expect(result.stdout + result.stderr).not.toMatch(/Error|Transfer timed out/);
      expect(md5(local)).toBe(tree.md5s[name]);
    });

    it('reports a missing file as "Error code 1"', async () => {
      const result = await tftpHpa(`get no-such-file ${outFile('missing')}`);
      expect(result.stdout + result.stderr).toMatch(/Error code 1: file not found/);
    });

    it.each(['../../../../etc/passwd', '/../etc/passwd', 'a/../../etc/passwd', '..\\..\\etc\\passwd'])('is refused %s with "Error code 2"', async (name) => {
      const result = await tftpHpa(`get ${name} ${outFile('hostile')}`);
      expect(result.stdout + result.stderr).toMatch(/Error code 2: access violation/);
    });

    it('is refused a write with "Error code 2"', async () => {
      const result = await tftpHpa(`put ${join(tree.root, 'b513.bin')} uploaded.bin`);
      expect(result.stdout + result.stderr).toMatch(/Error code 2: read-only server/);
      expect(existsSync(join(tree.root, 'uploaded.bin'))).toBe(false);
    });
  });

  describe('atftp', () => {
    it.each([512, 1468, 8192, 65464])('downloads 513 B and 1 MiB at blksize %i intact', async (blksize) => {
      for (const name of ['b513.bin', 'one-mib.bin']) {
        const local = outFile(name);
        const result = await atftp(name, local, [`blksize ${blksize}`, 'tsize 0']);
        expect(result.code, result.stderr).toBe(0);
        expect(md5(local)).toBe(tree.md5s[name]);
      }
    });

    it('sees the blksize and the real tsize in the OACK', async () => {
      const result = await atftp('b513.bin', outFile('trace'), ['tsize 0', 'blksize 1468'], ['--trace']);
      const output = result.stdout + result.stderr;
      expect(output, output).toMatch(/received OACK <[^>]*tsize: 513[,>]/);
      expect(output, output).toMatch(/received OACK <[^>]*blksize: 1468[,>]/);
    });

    it('is granted a window that fits maxWindowBytes (8192-byte blocks: 12, not 16) and downloads intact', async () => {
      const local = outFile('forty-mib-window.bin');
      const result = await atftp('forty-mib.bin', local, ['blksize 8192', 'windowsize 16'], ['--trace'], 90_000);
      const output = result.stdout + result.stderr;
      expect(result.code, output).toBe(0);
      expect(output, output).toMatch(/received OACK <[^>]*windowsize: 12[,>]/);
      expect(md5(local)).toBe(tree.md5s['forty-mib.bin']);
    });

    it.each([
      [512, 1],
      [1468, 1],
      [1468, 16],
    ])('downloads 40 MiB at blksize %i, windowsize %i intact', async (blksize, windowsize) => {
      const local = outFile('forty-mib.bin');
      const options = [`blksize ${blksize}`, 'tsize 0', ...(windowsize > 1 ? [`windowsize ${windowsize}`] : [])];
      const result = await atftp('forty-mib.bin', local, options, [], 90_000);
      expect(result.code, result.stderr).toBe(0);
      expect(md5(local)).toBe(tree.md5s['forty-mib.bin']);
    });

    it('reports a missing file and a hostile name', async () => {
      const missing = await atftp('no-such-file', outFile('missing'), []);
      expect(missing.code).not.toBe(0);
      expect(missing.stdout + missing.stderr).toMatch(/file not found/);
      const hostile = await atftp('../../../etc/passwd', outFile('hostile'), []);
      expect(hostile.code).not.toBe(0);
      expect(hostile.stdout + hostile.stderr).toMatch(/access violation/);
    });
  });

  describe('busybox tftp', () => {
    // What an initramfs script fetches with: busybox asks for tsize (its progress bar) and, with -b, blksize.
    async function busybox(remote: string, local: string, blksize: number | null, timeoutMs = 60_000) {
      const args = ['tftp', '-g', '-r', remote, '-l', local, ...(blksize === null ? [] : ['-b', String(blksize)]), '127.0.0.1', String(port)];
      return runCommand('busybox', args, { timeoutMs });
    }

    it.each([
      ['without -b (512-byte blocks: the 40 MiB file rolls the block number over)', null],
      ['with -b 1468', 1468],
      ['with -b 65464', 65464],
    ] as const)('downloads every test file intact %s', async (_label, blksize) => {
      for (const name of Object.keys(TEST_FILES)) {
        const local = outFile(name);
        const result = await busybox(name, local, blksize, 90_000);
        expect(result.code, `${name}: ${result.stderr}`).toBe(0);
        expect(md5(local), name).toBe(tree.md5s[name]);
      }
    }, 180_000);

    it('reports a missing file and a hostile name with the server’s messages', async () => {
      const missing = await busybox('no-such-file', outFile('missing'), null);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toContain('server error: (1) file not found');
      const hostile = await busybox('../../../etc/passwd', outFile('hostile'), null);
      expect(hostile.code).not.toBe(0);
      expect(hostile.stderr).toContain('server error: (2) access violation');
    });
  });

  describe('curl tftp://', () => {
    // Not the 0-byte file: curl 7.88 rejects "tsize 0" in an OACK ("invalid tsize value"), from tftpd-hpa too.
    it.each([512, 1468, 8192, 65464])('downloads 511/512/513 B and 1 MiB at --tftp-blksize %i intact', async (blksize) => {
      for (const name of ['b511.bin', 'b512.bin', 'b513.bin', 'one-mib.bin']) {
        const local = outFile(name);
        const result = await curl(name, local, blksize);
        expect(result.code, result.stderr).toBe(0);
        expect(md5(local)).toBe(tree.md5s[name]);
      }
    });

    it('downloads 40 MiB at --tftp-blksize 8192 intact and reports the tsize it was told', async () => {
      const local = outFile('forty-mib.bin');
      const result = await curl('forty-mib.bin', local, 8192, true);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain(`tsize parsed from OACK (${TEST_FILES['forty-mib.bin']})`);
      expect(result.stderr).toContain('blksize parsed from OACK (8192)');
      expect(md5(local)).toBe(tree.md5s['forty-mib.bin']);
    });

    it('fails on a missing file with curl’s "TFTP: File Not Found" (exit 68)', async () => {
      const result = await curl('no-such-file', outFile('missing'), 512);
      expect(result.code).toBe(68);
    });
  });

  describe('the service after all of that', () => {
    it(`ran its transfers on the ${engine} engine`, () => {
      expect(proc.output()).toContain(`TFTP transfers use the ${engine} UDP engine`);
    });

    it('is still running', () => {
      expect(proc.output()).not.toMatch(/"level":50|"level":60|Error:/);
      expect(proc.child.exitCode).toBeNull();
    });
  });
});
