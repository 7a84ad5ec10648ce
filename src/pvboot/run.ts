/**
 * What `xenboot-pvboot` does once its files are open (`targets.ts`): asks the xenboot server for the
 * domU's boot spec by MAC (`GET /api/v1/boot-spec/<mac>`), downloads kernel and ramdisk into the open
 * descriptors, checks each against the size and SHA-256 the spec gives (and `Content-Length`), and writes
 * the answer. Requests and downloads are retried with backoff (`http.ts`); a retried download starts again
 * from byte 0 of a truncated file. Every failure is a `PvbootError`; the caller removes the files.
 */
import { createHash } from 'node:crypto';
import { ftruncate, write } from 'node:fs';
import { promisify } from 'node:util';
import type { PvbootArgs } from './args.js';
import { DEFAULT_RETRY, httpGet, httpGetJson, oneLine, PvbootError, withRetries, type RetryPolicy } from './http.js';
import { formatBootloaderResult, type BootloaderResult } from './output.js';
import type { BootSpec, BootSpecFile } from '../net/boot-spec.js';
import { writeAnswer, type PvbootTargets } from './targets.js';

export { PvbootError } from './http.js';

/** Largest kernel or ramdisk accepted, in bytes. */
export const MAX_IMAGE_BYTES = 2 * 1024 * 1024 * 1024;

const writeAsync = promisify(write);
const ftruncateAsync = promisify(ftruncate);

function checkFile(file: unknown, what: string, url: string): BootSpecFile {
  const f = file as Partial<BootSpecFile> | null;
  if (!f || typeof f.url !== 'string' || typeof f.path !== 'string') throw new PvbootError(`${url}: not a boot spec (no ${what} url)`);
  if (f.size !== undefined && (!Number.isSafeInteger(f.size) || f.size < 0)) throw new PvbootError(`${url}: not a boot spec (${what} size)`);
  if (f.sha256 !== undefined && !/^[0-9a-f]{64}$/.test(f.sha256)) throw new PvbootError(`${url}: not a boot spec (${what} sha256)`);
  return f as BootSpecFile;
}

/** Fetches and checks the boot spec for a MAC. */
export async function fetchBootSpec(server: string, mac: string, timeoutMs: number, retry: RetryPolicy = DEFAULT_RETRY, log?: (line: string) => void): Promise<BootSpec> {
  const url = `${server}/api/v1/boot-spec/${encodeURIComponent(mac)}`;
  const body = (await withRetries(retry, () => httpGetJson(url, timeoutMs), (error) => log?.(`xenboot-pvboot: ${error.message}; retrying`))) as Partial<BootSpec> | null;
  if (!body || typeof body !== 'object' || typeof body.args !== 'string' || typeof body.profile !== 'string') throw new PvbootError(`${url}: not a boot spec`);
  return {
    mac: typeof body.mac === 'string' ? body.mac : mac,
    profile: body.profile,
    kernel: checkFile(body.kernel, 'kernel', url),
    ramdisk: body.ramdisk === null || body.ramdisk === undefined ? null : checkFile(body.ramdisk, 'ramdisk', url),
    args: body.args,
  };
}

async function writeAll(fd: number, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await writeAsync(fd, data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}

/** One download attempt of `file` into `fd` from byte 0. */
async function downloadOnce(file: BootSpecFile, fd: number, timeoutMs: number): Promise<number> {
  await ftruncateAsync(fd, 0);
  const { message, contentLength } = await httpGet(file.url, timeoutMs);
  const expected = file.size ?? contentLength;
  if (contentLength !== null && file.size !== undefined && contentLength !== file.size) {
    message.destroy();
    throw new PvbootError(`${file.url}: the server announces ${contentLength} bytes, the boot spec ${file.size}`);
  }
  if (expected !== null && expected > MAX_IMAGE_BYTES) {
    message.destroy();
    throw new PvbootError(`${file.url}: ${expected} bytes is over the ${MAX_IMAGE_BYTES}-byte limit`);
  }
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of message as AsyncIterable<Buffer>) {
      if (bytes + chunk.length > (expected ?? MAX_IMAGE_BYTES)) {
        message.destroy();
        throw new PvbootError(`${file.url}: more than the ${expected ?? MAX_IMAGE_BYTES} bytes expected`);
      }
      hash.update(chunk);
      await writeAll(fd, chunk, bytes);
      bytes += chunk.length;
    }
  } catch (error) {
    if (error instanceof PvbootError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    // A full disk or a size limit is not the network's fault: no retry.
    const local = code === 'ENOSPC' || code === 'EFBIG' || code === 'EDQUOT' || code === 'EIO';
    throw new PvbootError(`${file.url}: download failed after ${bytes} bytes: ${oneLine(error)}`, !local);
  }
  if (expected !== null && bytes !== expected) throw new PvbootError(`${file.url}: got ${bytes} of ${expected} bytes`, true);
  if (bytes === 0) throw new PvbootError(`${file.url}: empty file`);
  const digest = hash.digest('hex');
  if (file.sha256 !== undefined && digest !== file.sha256) throw new PvbootError(`${file.url}: SHA-256 ${digest} is not the boot spec's ${file.sha256}`, true);
  return bytes;
}

/** Downloads `file` into `fd` with retries; returns the size. */
export function download(file: BootSpecFile, fd: number, timeoutMs: number, retry: RetryPolicy = DEFAULT_RETRY, log?: (line: string) => void): Promise<number> {
  return withRetries(retry, () => downloadOnce(file, fd, timeoutMs), (error) => log?.(`xenboot-pvboot: ${error.message}; retrying`));
}

/** What a run produced. */
export interface PvbootOutcome {
  /** The answer text (written to the output file, or to be printed). */
  text: string;
  /** False when the profile has no ramdisk: the ramdisk file is unused and should be removed. */
  ramdiskUsed: boolean;
}

/** Runs the bootloader into already opened targets. */
export async function runPvboot(args: PvbootArgs, targets: PvbootTargets, log: (line: string) => void, retry: RetryPolicy = DEFAULT_RETRY): Promise<PvbootOutcome> {
  const spec = await fetchBootSpec(args.server, args.mac, args.timeoutMs, retry, log);
  log(`xenboot-pvboot: ${args.mac} boots profile "${spec.profile}"`);
  const kernelBytes = await download(spec.kernel, targets.kernel.fd, args.timeoutMs, retry, log);
  log(`xenboot-pvboot: kernel ${spec.kernel.path} (${kernelBytes} bytes)`);
  const result: BootloaderResult = { kernel: targets.kernel.path, args: [spec.args, args.extraArgs].filter((a) => a).join(' ') };
  if (spec.ramdisk) {
    const ramdiskBytes = await download(spec.ramdisk, targets.ramdisk.fd, args.timeoutMs, retry, log);
    log(`xenboot-pvboot: ramdisk ${spec.ramdisk.path} (${ramdiskBytes} bytes)`);
    result.ramdisk = targets.ramdisk.path;
  }
  const text = formatBootloaderResult(result, args.outputFormat);
  if (targets.output !== null) writeAnswer(targets.output, text);
  return { text, ramdiskUsed: spec.ramdisk !== null };
}
