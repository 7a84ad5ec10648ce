/**
 * What `xenboot-pvboot` does: asks the xenboot server for the domU's boot spec by MAC
 * (`GET /api/v1/boot-spec/<mac>`), downloads kernel and ramdisk into the output directory under fresh
 * names (libxl unlinks them after loading), and writes the answer to `--output`. Every request has a
 * deadline; every failure is a `PvbootError` with a message for the xl log. The files are removed again
 * when a later step fails.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PvbootArgs } from './args.js';
import { formatBootloaderResult, type BootloaderResult } from './output.js';
import type { BootSpec } from '../net/boot-spec.js';

/** A failure with a message meant for the operator (exit 1). */
export class PvbootError extends Error {}

/** Largest kernel or ramdisk accepted, in bytes. */
export const MAX_IMAGE_BYTES = 2 * 1024 * 1024 * 1024;

async function serverMessage(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { message?: unknown };
    if (typeof body.message === 'string') return body.message;
  } catch {
    /* not JSON */
  }
  return text.slice(0, 200) || response.statusText;
}

/** Fetches the boot spec for a MAC. */
export async function fetchBootSpec(server: string, mac: string, timeoutMs: number): Promise<BootSpec> {
  const url = `${server}/api/v1/boot-spec/${encodeURIComponent(mac)}`;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new PvbootError(`cannot reach ${url}: ${(error as Error).message}`);
  }
  if (!response.ok) throw new PvbootError(`${url}: ${response.status} ${await serverMessage(response)}`);
  const spec = (await response.json().catch(() => null)) as BootSpec | null;
  if (!spec || typeof spec.kernel?.url !== 'string' || typeof spec.args !== 'string') throw new PvbootError(`${url}: not a boot spec`);
  return spec;
}

/** Downloads `url` to `path` (created 0600, must not exist), checking status, length and size limit. */
export async function download(url: string, path: string, timeoutMs: number): Promise<number> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new PvbootError(`cannot fetch ${url}: ${(error as Error).message}`);
  }
  if (!response.ok || !response.body) throw new PvbootError(`${url}: ${response.status} ${await serverMessage(response)}`);
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > MAX_IMAGE_BYTES) throw new PvbootError(`${url}: ${declared} bytes is over the ${MAX_IMAGE_BYTES}-byte limit`);
  let bytes = 0;
  const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream);
  body.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > MAX_IMAGE_BYTES) body.destroy(new PvbootError(`${url}: over the ${MAX_IMAGE_BYTES}-byte limit`));
  });
  try {
    await pipeline(body, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
  } catch (error) {
    throw error instanceof PvbootError ? error : new PvbootError(`${url}: download failed: ${(error as Error).message}`);
  }
  if (Number.isFinite(declared) && bytes !== declared) throw new PvbootError(`${url}: got ${bytes} of ${declared} bytes`);
  if (bytes === 0) throw new PvbootError(`${url}: empty file`);
  return bytes;
}

/** Runs the bootloader; returns the text written to `--output` (or to be printed). */
export async function runPvboot(args: PvbootArgs, log: (line: string) => void): Promise<string> {
  const spec = await fetchBootSpec(args.server, args.mac, args.timeoutMs);
  log(`xenboot-pvboot: ${args.mac} boots profile "${spec.profile}"`);
  const dir = args.outputDirectory ?? tmpdir();
  const suffix = randomBytes(6).toString('hex');
  const kernelPath = join(dir, `boot_kernel.${suffix}`);
  const ramdiskPath = join(dir, `boot_ramdisk.${suffix}`);
  const written: string[] = [];
  try {
    written.push(kernelPath);
    const kernelBytes = await download(spec.kernel.url, kernelPath, args.timeoutMs);
    log(`xenboot-pvboot: kernel ${spec.kernel.path} (${kernelBytes} bytes)`);
    const result: BootloaderResult = { kernel: kernelPath, args: [spec.args, args.extraArgs].filter((a) => a).join(' ') };
    if (spec.ramdisk) {
      written.push(ramdiskPath);
      const ramdiskBytes = await download(spec.ramdisk.url, ramdiskPath, args.timeoutMs);
      log(`xenboot-pvboot: ramdisk ${spec.ramdisk.path} (${ramdiskBytes} bytes)`);
      result.ramdisk = ramdiskPath;
    }
    const text = formatBootloaderResult(result, args.outputFormat);
    // libxl pre-creates the file and xend passes a FIFO: open for writing without truncation surprises.
    if (args.output !== undefined) await writeFile(args.output, text, { flag: 'w' });
    return text;
  } catch (error) {
    await Promise.all(written.map((p) => rm(p, { force: true })));
    throw error;
  }
}
