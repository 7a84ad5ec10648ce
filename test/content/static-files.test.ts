import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, constants, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainHandlers } from '../../src/content/chain.js';
import { staticFileHandler } from '../../src/content/static-files.js';
import { bufferContent, ContentDenied, readContentInto, type ContentHandler, type ContentRequest } from '../../src/content/types.js';

const request = (path: string): ContentRequest => ({ path, rawPath: path, protocol: 'tftp', clientIp: '127.0.0.1', clientPort: 1000, serverIp: '127.0.0.1' });

let base: string;
let root: string;
let handler: ContentHandler;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'xenboot-static-'));
  root = join(base, 'root');
  mkdirSync(join(root, 'pxelinux.cfg'), { recursive: true });
  writeFileSync(join(root, 'pxelinux.0'), Buffer.from('0123456789abcdef'));
  writeFileSync(join(root, 'pxelinux.cfg', 'default'), 'DEFAULT local\n');
  writeFileSync(join(base, 'secret'), 'outside the root');
  symlinkSync(join(base, 'secret'), join(root, 'escape'));
  symlinkSync('../../secret', join(root, 'pxelinux.cfg', 'escape-relative'));
  symlinkSync('pxelinux.0', join(root, 'inside-link'));
  symlinkSync(base, join(root, 'dir-escape'));
  symlinkSync(join(root, 'missing-target'), join(root, 'dangling'));
  writeFileSync(join(root, 'unreadable'), 'x');
  chmodSync(join(root, 'unreadable'), 0o000);
  handler = staticFileHandler(root);
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('staticFileHandler', () => {
  it('serves a file with its size and reads by position', async () => {
    const content = await handler(request('pxelinux.0'));
    expect(content).not.toBeNull();
    expect(content!.size).toBe(16);
    expect(content!.source).toBe('file');
    expect((await content!.read(4, 4)).toString()).toBe('4567');
    expect((await content!.read(14, 100)).toString()).toBe('ef');
    expect((await content!.read(16, 10)).length).toBe(0);
    await content!.close();
    await content!.close();
  });

  it('scatter-reads into several buffers, short only at the end', async () => {
    const content = (await handler(request('pxelinux.0')))!;
    const targets = [Buffer.alloc(5), Buffer.alloc(5), Buffer.alloc(5)];
    expect(await readContentInto(content, targets, 3)).toBe(13);
    expect(Buffer.concat(targets).subarray(0, 13).toString()).toBe('3456789abcdef');
    await content.close();
  });

  it('serves files in sub-directories and through a leading slash or backslashes', async () => {
    for (const path of ['pxelinux.cfg/default', '/pxelinux.cfg/default', '\\pxelinux.cfg\\default']) {
      const content = await handler(request(path));
      expect((await content!.read(0, 100)).toString()).toBe('DEFAULT local\n');
      await content!.close();
    }
  });

  it('follows a symlink that stays inside the root', async () => {
    const content = await handler(request('inside-link'));
    expect(content!.size).toBe(16);
    await content!.close();
  });

  it.each(['escape', 'pxelinux.cfg/escape-relative', 'dir-escape/secret'])('refuses the symlink escape %s', async (path) => {
    await expect(handler(request(path))).rejects.toThrow(ContentDenied);
  });

  it.each(['../secret', 'pxelinux.cfg/../../secret', 'a\u0000b'])('refuses the hostile name %j', async (path) => {
    await expect(handler(request(path))).rejects.toThrow(ContentDenied);
  });

  it.each(['missing', 'pxelinux.cfg', 'pxelinux.cfg/default/x', 'dangling', 'pxelinux.0/x'])('returns null for %j (missing or not a file)', async (path) => {
    expect(await handler(request(path))).toBeNull();
  });

  it('refuses a file it may not read (unless running as root, which reads anything)', async () => {
    if (process.getuid?.() === 0) {
      const content = await handler(request('unreadable'));
      expect(content!.size).toBe(1);
      await content!.close();
    } else {
      await expect(handler(request('unreadable'))).rejects.toThrow(ContentDenied);
    }
  });

  it('refuses a FIFO at once, even with every file-system thread asked for one, and goes on serving files', async () => {
    // Opening a FIFO for reading waits for a writer: four such opens would take all of libuv's
    // file-system threads, and every later file (TFTP and HTTP alike) would wait behind them.
    const fifo = join(root, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const timedOut = Symbol('timed out');
    const within = <T>(promise: Promise<T>, ms: number) =>
      Promise.race([promise, new Promise<typeof timedOut>((resolve) => setTimeout(() => resolve(timedOut), ms).unref())]);
    try {
      const answers = await within(Promise.all([1, 2, 3, 4].map(() => handler(request('fifo')))), 2_000);
      expect(answers).toEqual([null, null, null, null]);
      const content = await within(handler(request('pxelinux.0')), 2_000);
      expect(content).not.toBe(timedOut);
      expect((content as Awaited<ReturnType<ContentHandler>>)!.size).toBe(16);
      await (content as Awaited<ReturnType<ContentHandler>>)!.close();
    } finally {
      // Releases any open still waiting for a writer (only before the fix), so the threads come back.
      for (let i = 0; i < 4; i += 1) {
        try {
          closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
        } catch {
          break; // ENXIO: nobody waits to read it
        }
      }
      rmSync(fifo);
    }
  });

  it('returns null when the root does not exist', async () => {
    expect(await staticFileHandler(join(base, 'nope'))(request('pxelinux.0'))).toBeNull();
  });
});

describe('chainHandlers', () => {
  const generated: ContentHandler = async (r) => (r.path === 'pxelinux.cfg/default' ? bufferContent('generated\n') : null);
  const refuse: ContentHandler = async (r) => {
    if (r.path === 'forbidden') throw new ContentDenied('not for you');
    return null;
  };

  it('asks handlers in order; the first answer wins', async () => {
    const chain = chainHandlers([generated, staticFileHandler(root)]);
    expect((await (await chain(request('pxelinux.cfg/default')))!.read(0, 100)).toString()).toBe('generated\n');
    const file = await chain(request('pxelinux.0'));
    expect(file!.source).toBe('file');
    await file!.close();
  });

  it('returns null when nobody has the path', async () => {
    expect(await chainHandlers([generated, staticFileHandler(root)])(request('nothing'))).toBeNull();
    expect(await chainHandlers([])(request('nothing'))).toBeNull();
  });

  it('stops at a handler that throws ContentDenied', async () => {
    let asked = false;
    const later: ContentHandler = async () => {
      asked = true;
      return bufferContent('x');
    };
    await expect(chainHandlers([refuse, later])(request('forbidden'))).rejects.toThrow('not for you');
    expect(asked).toBe(false);
  });
});
