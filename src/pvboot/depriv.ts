/**
 * libxl's restricted bootloader (`LIBXL_BOOTLOADER_RESTRICT` / `LIBXL_BOOTLOADER_USER`, xl(1); xl.cfg's
 * `bootloader_restrict`/`bootloader_user` in later Xen): libxl passes `--runas=<uid>` and expects the
 * bootloader to do its untrusted work as that uid. Like pygrub (`depriv()`: fork, the parent stays root,
 * the child drops to the uid and writes through descriptors opened before), the root process opens the
 * files (`targets.ts`), starts itself again as `uid`:`uid` with no supplementary groups (libuv's spawn
 * calls `setgroups(0, NULL)` before `setgid`/`setuid`) and the descriptors as fds 3, 4 and 5, waits, and
 * removes the files if the child fails. Nothing the child does touches the network as root.
 */
import { spawn } from 'node:child_process';
import { fstatSync } from 'node:fs';
import { PvbootError, oneLine } from './http.js';
import { discard, type OpenTarget, type PvbootTargets } from './targets.js';

/** The environment variable that tells the restricted child where its descriptors are. */
export const CHILD_ENV = 'XENBOOT_PVBOOT_CHILD';

interface ChildTargets {
  kernel: string;
  ramdisk: string;
  /** Path of the answer file, or null for standard output. */
  output: string | null;
}

/** The targets a restricted child inherited (fds 3, 4, 5), or `null` when this is not such a child. */
export function inheritedTargets(env: Record<string, string | undefined>): PvbootTargets | null {
  const raw = env[CHILD_ENV];
  if (raw === undefined) return null;
  let parsed: ChildTargets;
  try {
    parsed = JSON.parse(raw) as ChildTargets;
  } catch {
    throw new PvbootError(`${CHILD_ENV} is not valid`);
  }
  if (typeof parsed.kernel !== 'string' || typeof parsed.ramdisk !== 'string') throw new PvbootError(`${CHILD_ENV} is not valid`);
  return {
    kernel: { path: parsed.kernel, fd: 3 },
    ramdisk: { path: parsed.ramdisk, fd: 4 },
    output: typeof parsed.output === 'string' ? { path: parsed.output, fd: 5 } : null,
  };
}

function sizeOf(target: OpenTarget): number {
  try {
    return fstatSync(target.fd).size;
  } catch {
    return 0;
  }
}

/**
 * Runs this program again as `uid` on the open `targets` and resolves with its exit code (1 when it died
 * of a signal). On failure, and on SIGTERM (libxl's timeout), the files are removed; on success an empty
 * ramdisk file (profile without one) is removed.
 */
export function runRestricted(uid: number, targets: PvbootTargets, argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const script = process.argv[1];
  if (script === undefined) return Promise.reject(new PvbootError('cannot find this program to restart it as the restricted user'));
  const childEnv: ChildTargets = { kernel: targets.kernel.path, ramdisk: targets.ramdisk.path, output: targets.output?.path ?? null };
  const stdio: Array<'ignore' | 'inherit' | number> = ['ignore', 'inherit', 'inherit', targets.kernel.fd, targets.ramdisk.fd, targets.output?.fd ?? 'ignore'];
  return new Promise<number>((resolve) => {
    const cleanup = () => {
      discard(targets.kernel);
      discard(targets.ramdisk);
    };
    const child = spawn(process.execPath, [...process.execArgv, script, ...argv], {
      uid,
      gid: uid,
      stdio,
      env: { ...env, [CHILD_ENV]: JSON.stringify(childEnv) },
    });
    const onTerm = () => {
      child.kill('SIGTERM');
    };
    process.once('SIGTERM', onTerm);
    child.once('error', (error) => {
      process.removeListener('SIGTERM', onTerm);
      cleanup();
      process.stderr.write(`xenboot-pvboot: cannot start as uid ${uid}: ${oneLine(error)}\n`);
      resolve(1);
    });
    child.once('exit', (code) => {
      process.removeListener('SIGTERM', onTerm);
      if (code !== 0) {
        cleanup();
        resolve(1);
        return;
      }
      if (sizeOf(targets.ramdisk) === 0) discard(targets.ramdisk);
      resolve(0);
    });
  });
}
