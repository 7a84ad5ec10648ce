/**
 * Static files under a root directory, for TFTP and HTTP (with Range: `read` at any position). The path
 * is normalised again here (defence in depth), then confined by realpath: a symlink inside the root that
 * points inside it is followed, one that points outside is refused. Each file is opened once and read by
 * position, so a file replaced during a transfer keeps serving the version that was opened.
 */
import { close, fstat, open, readv, read, constants } from 'node:fs';
import { readlink, realpath } from 'node:fs/promises';
import { sep } from 'node:path';
import { normaliseContentPath } from './path.js';
import { ContentDenied, type Content, type ContentHandler, type ContentRequest, type FileContent } from './types.js';

// Linux IOV_MAX; larger scatter lists are split into several preadv calls.
const MAX_IOVECS = 1024;
// Errors that mean "no such file here" rather than a fault: missing, a file used as a directory, a loop.
const NOT_FOUND_CODES = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'ENAMETOOLONG', 'EISDIR']);

/**
 * Serves regular files below `root`. Returns `null` for missing files and anything not a regular file (directories, FIFOs, devices); throws
 * `ContentDenied` for names that escape the root (by `..` or by a symlink) or cannot be opened for
 * reading (permissions).
 */
export function staticFileHandler(root: string): ContentHandler {
  let rootReal: Promise<string> | null = null;
  const resolveRoot = (): Promise<string> => {
    if (rootReal === null) {
      rootReal = realpath(root);
      // A root that appears later (created after start) is picked up on the next request.
      rootReal.catch(() => (rootReal = null));
    }
    return rootReal;
  };

  return async (request: ContentRequest): Promise<Content | null> => {
    const relative = normaliseContentPath(request.path);
    let base: string;
    try {
      base = await resolveRoot();
    } catch {
      return null;
    }
    let target: string;
    try {
      target = await realpath(`${base}${sep}${relative}`);
    } catch (error) {
      if (NOT_FOUND_CODES.has((error as NodeJS.ErrnoException).code ?? '')) return null;
      throw error;
    }
    if (!isInside(target, base)) throw new ContentDenied(`${relative} resolves outside the root`);
    return openFileContent(target, base);
  };
}

function isInside(path: string, base: string): boolean {
  return path === base || path.startsWith(base.endsWith(sep) ? base : base + sep);
}

/**
 * Opens a regular file as `Content`; `null` when it is not a regular file. The open never waits: a FIFO
 * opened for reading would block its thread until a writer came (and four such opens take every one of
 * libuv's file-system threads, stalling all file serving), so it is opened with O_NONBLOCK and refused
 * after fstat like any other non-regular file (O_NONBLOCK changes nothing for a regular file's reads).
 * With `confineTo`, the opened
 * file is checked again through `/proc/self/fd` (where available), so a directory swapped for a symlink
 * between the realpath check and the open cannot lead outside the root.
 */
export async function openFileContent(path: string, confineTo?: string): Promise<Content | null> {
  let fd: number;
  try {
    fd = await callback<number>((done) => open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK, done));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (NOT_FOUND_CODES.has(code)) return null;
    if (code === 'EACCES' || code === 'EPERM') throw new ContentDenied(`${path} is not readable`);
    throw error;
  }
  try {
    if (confineTo !== undefined) {
      const opened = await openedPath(fd);
      if (opened !== null && !isInside(opened, confineTo)) throw new ContentDenied(`${path} was replaced by a link outside the root`);
    }
    const stats = await callback<import('node:fs').Stats>((done) => fstat(fd, done));
    if (!stats.isFile()) {
      await closeQuietly(fd);
      return null;
    }
    return fileContent(fd, stats.size);
  } catch (error) {
    await closeQuietly(fd);
    throw error;
  }
}

function fileContent(fd: number, size: number): FileContent {
  let closed = false;
  return {
    size,
    source: 'file',
    fd,
    async read(position, length) {
      const buffer = Buffer.allocUnsafe(Math.max(0, Math.min(length, size - position)));
      let filled = 0;
      while (filled < buffer.length) {
        const n = await callback<number>((done) => read(fd, buffer, filled, buffer.length - filled, position + filled, done));
        if (n === 0) break;
        filled += n;
      }
      return filled === buffer.length ? buffer : buffer.subarray(0, filled);
    },
    async readInto(targets, position) {
      // preadv fills the targets in order; loop for short reads and for lists longer than IOV_MAX.
      let total = 0;
      let index = 0;
      let offsetInTarget = 0;
      while (index < targets.length) {
        const batch: Buffer[] = [];
        for (let i = index; i < targets.length && batch.length < MAX_IOVECS; i += 1) {
          batch.push(i === index && offsetInTarget > 0 ? targets[i]!.subarray(offsetInTarget) : targets[i]!);
        }
        const n = await callback<number>((done) => readv(fd, batch, position + total, done));
        if (n === 0) break;
        total += n;
        // Advance (index, offsetInTarget) by n bytes.
        let remaining = n + offsetInTarget;
        while (index < targets.length && remaining >= targets[index]!.length) {
          remaining -= targets[index]!.length;
          index += 1;
        }
        offsetInTarget = remaining;
      }
      return total;
    },
    async close() {
      if (closed) return;
      closed = true;
      await closeQuietly(fd);
    },
  };
}

/** The path an open descriptor refers to (Linux `/proc/self/fd`), or `null` where that is not available. */
async function openedPath(fd: number): Promise<string | null> {
  try {
    return await readlink(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}

function closeQuietly(fd: number): Promise<void> {
  return new Promise((resolve) => close(fd, () => resolve()));
}

/** Adapts a Node callback API (error first, one result) to a promise. */
function callback<T>(start: (done: (error: NodeJS.ErrnoException | null, value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => start((error, value) => (error ? reject(error) : resolve(value))));
}
