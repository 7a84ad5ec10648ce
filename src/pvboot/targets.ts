/**
 * Where `xenboot-pvboot` writes: the kernel and ramdisk files in the output directory and the answer
 * file. They are opened before anything else happens, by the process that started as root, as pygrub
 * does (xen `tools/pygrub/src/pygrub`: `mkstemp` of `boot_kernel.`/`boot_ramdisk.` and `os.open(output)`
 * before `depriv()`): in libxl's restricted mode (`LIBXL_BOOTLOADER_RESTRICT`, `--runas`) the output
 * directory is root's, mode 0600 (`libxl_bootloader.c: mkdir(bl->outputdir, 0600)`), and the uid the
 * download runs as can neither look into it nor create files there; it writes through these
 * descriptors only. Removing the files again after a failure is also done by the root side.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, ftruncateSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { oneLine, PvbootError } from './http.js';

/** An open file and its path; `fd` is -1 once closed. */
export interface OpenTarget {
  path: string;
  fd: number;
}

/** The descriptors a run writes to. */
export interface PvbootTargets {
  kernel: OpenTarget;
  ramdisk: OpenTarget;
  /** The answer file; `null` means standard output. */
  output: OpenTarget | null;
}

function createExclusive(dir: string, prefix: string): OpenTarget {
  for (let tries = 0; tries < 10; tries++) {
    const path = join(dir, `${prefix}${randomBytes(6).toString('hex')}`);
    try {
      return { path, fd: openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new PvbootError(`cannot create a file in ${dir}: ${oneLine(error)}`);
    }
  }
  throw new PvbootError(`cannot create a file in ${dir}: names keep clashing`);
}

/**
 * Creates `boot_kernel.<random>` and `boot_ramdisk.<random>` (0600) in `outputDirectory` (default: the
 * system temp directory) and opens `output` for writing (libxl creates it beforehand; xend passes a FIFO).
 */
export function openTargets(outputDirectory: string | undefined, output: string | undefined): PvbootTargets {
  const dir = outputDirectory ?? tmpdir();
  const kernel = createExclusive(dir, 'boot_kernel.');
  let ramdisk: OpenTarget | undefined;
  try {
    ramdisk = createExclusive(dir, 'boot_ramdisk.');
    let answer: OpenTarget | null = null;
    if (output !== undefined) {
      try {
        answer = { path: output, fd: openSync(output, constants.O_WRONLY | constants.O_CREAT, 0o600) };
      } catch (error) {
        throw new PvbootError(`cannot open --output ${output}: ${oneLine(error)}`);
      }
    }
    return { kernel, ramdisk, output: answer };
  } catch (error) {
    discard(kernel);
    if (ramdisk) discard(ramdisk);
    throw error;
  }
}

/** Closes and removes a file (errors ignored: it may be gone already). */
export function discard(target: OpenTarget): void {
  closeQuietly(target);
  try {
    unlinkSync(target.path);
  } catch {
    /* already gone */
  }
}

/** Closes a target's descriptor once, ignoring errors. */
export function closeQuietly(target: OpenTarget | null): void {
  if (target === null || target.fd < 0) return;
  const fd = target.fd;
  // Marked closed first: a descriptor number is reused by the next open, and must never be closed twice.
  target.fd = -1;
  try {
    closeSync(fd);
  } catch {
    /* already closed */
  }
}

/** Writes the answer: replaces a regular file's contents; a FIFO just gets the text. */
export function writeAnswer(output: OpenTarget, text: string): void {
  try {
    try {
      ftruncateSync(output.fd, 0);
    } catch {
      /* a FIFO cannot be truncated */
    }
    const data = Buffer.from(text);
    let done = 0;
    while (done < data.length) done += writeSync(output.fd, data, done, data.length - done);
  } catch (error) {
    throw new PvbootError(`cannot write --output ${output.path}: ${oneLine(error)}`);
  }
}
