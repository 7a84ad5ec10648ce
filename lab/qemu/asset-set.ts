/**
 * What every cached set of boot assets does the same way: run the Debian tools that fetch and unpack
 * packages, record each downloaded package's version, and publish a finished set. A set is built in a
 * private directory and published by renaming it into place with its `versions.json` written last, so a
 * set without `versions.json` is one that never finished, and two processes building at once cannot see a
 * half-built set. `assets.ts` (the boot set) and the e2e xl dom0 root build on these.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runCommand } from '../process.js';

/** Runs a command in `cwd`; returns its stdout, or throws with its exit code and the end of its stderr. */
export async function runTool(command: string, args: string[], cwd: string, timeoutMs = 300_000): Promise<string> {
  const result = await runCommand(command, args, { cwd, timeoutMs });
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.code}${result.timedOut ? ', timed out' : ''}): ${result.stderr.trim().slice(-2000)}`);
  }
  return result.stdout;
}

/** Each `.deb` in `dir` by path, with its package name and version (from `dpkg-deb -W`). */
export async function downloadedPackages(dir: string): Promise<Array<{ path: string; name: string; version: string }>> {
  const found: Array<{ path: string; name: string; version: string }> = [];
  for (const deb of readdirSync(dir).filter((f) => f.endsWith('.deb'))) {
    const path = join(dir, deb);
    const [name, version] = (await runTool('dpkg-deb', ['-W', '--showformat=${Package}\t${Version}', path], dir)).split('\t');
    if (name && version) found.push({ path, name, version });
  }
  return found;
}

/** Throws unless every package of `wanted` is among `versions` (apt-get download names what it skipped). */
export function requireDownloaded(wanted: readonly string[], versions: Record<string, string>): void {
  for (const name of wanted) if (!versions[name]) throw new Error(`package ${name} was not downloaded`);
}

/** True when `dir` holds a finished set (its `versions.json` is written last). */
export function isPublished(dir: string): boolean {
  return existsSync(join(dir, 'versions.json'));
}

/** Removes what an interrupted build left at `target` (a directory without `versions.json`). */
export function clearUnfinished(target: string): void {
  if (existsSync(target) && !isPublished(target)) rmSync(target, { recursive: true, force: true });
}

/**
 * Publishes the set built in `out` as `target`: writes `versions.json`, then renames. Another process that
 * published the same set first is not an error: its set is equivalent.
 */
export function publishAssetSet(out: string, target: string, versions: Record<string, string>): void {
  writeFileSync(join(out, 'versions.json'), JSON.stringify(versions, null, 2) + '\n');
  try {
    renameSync(out, target);
  } catch (error) {
    if (!isPublished(target)) throw error;
  }
}

/**
 * The set at `target`: what `read` makes of it when it is published and complete; otherwise `build(target)`
 * makes it (after what an interrupted build left there is cleared) and it is read again. `what` names the
 * set in the error thrown when even a fresh build does not read back.
 */
export async function ensureAssetSet<T>(what: string, target: string, read: () => T | null, build: (target: string) => Promise<void>): Promise<T> {
  const cached = read();
  if (cached) return cached;
  mkdirSync(dirname(target), { recursive: true });
  clearUnfinished(target);
  await build(target);
  const built = read();
  if (!built) throw new Error(`${what} incomplete in ${target}`);
  return built;
}
