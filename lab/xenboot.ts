/**
 * Starting a real xenboot process for tests and benchmarks (`tsx src/cli.ts serve`), optionally inside a network
 * namespace, with a config written to a temporary file.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Namespace } from './netns.js';
import { startProcess, type RunningProcess } from './process.js';

/** Repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The command and arguments that run the xenboot CLI from source. */
export function xenbootCommand(...args: string[]): [string, string[]] {
  return [process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'cli.ts'), ...args]];
}

/**
 * The Node options the service runs with: those between `node` and `dist/src/cli.js` in the `start`
 * script of `checkout`'s package.json (`--max-semi-space-size=4` since the storm's memory was measured;
 * none in older checkouts). Benchmarks run their bundles with them, as `npm start` runs the build.
 */
export function serviceNodeOptions(checkout: string = repoRoot): string[] {
  const start = (JSON.parse(readFileSync(join(checkout, 'package.json'), 'utf8')) as { scripts?: { start?: string } }).scripts?.start ?? '';
  const flags = /\bnode((?:\s+--\S+)*)\s+dist\/src\/cli\.js\b/.exec(start)?.[1] ?? '';
  return flags.split(/\s+/).filter((f) => f !== '');
}

/**
 * Writes `config` (an object, saved as JSON) into a fresh temporary directory and returns the file path.
 * Unless the config names `server.user`, it gets `server.user: root`: a xenboot started as root would
 * otherwise switch to `nobody`, who cannot reach the tests' private temporary directories (the store,
 * the TFTP root). test/services/privileges.test.ts runs the default switch with reachable directories.
 * `addUser: false` writes the config as given, for builds older than `server.user` (which neither know
 * the key nor switch users).
 */
export function writeTempConfig(config: unknown, dir = mkdtempSync(join(tmpdir(), 'xenboot-test-')), options: { addUser?: boolean } = {}): string {
  const path = join(dir, 'xenboot.json');
  const given = config as { server?: { user?: string } } | null;
  const addUser = options.addUser !== false && given && typeof given === 'object' && given.server?.user === undefined;
  const withUser = addUser ? { ...given, server: { ...given.server, user: 'root' } } : config;
  writeFileSync(path, JSON.stringify(withUser, null, 2));
  return path;
}

/**
 * Starts `xenboot serve --config <file>` (inside `ns` when given, with `env` added to the environment)
 * and waits until it logs that it started. It runs from source with tsx, or, given `bundle` (a build of
 * src/cli.ts as one JavaScript file, as the benchmarks make), from that, with `nodeOptions` before it. The caller stops it with
 * `stop()` (by PID).
 */
export async function startXenboot(
  configPath: string,
  ns?: Namespace,
  timeoutMs = 30_000,
  env: NodeJS.ProcessEnv = {},
  bundle?: string,
  nodeOptions: readonly string[] = [],
): Promise<RunningProcess> {
  const [command, args] = bundle ? [process.execPath, [...nodeOptions, bundle, 'serve', '--config', configPath]] : xenbootCommand('serve', '--config', configPath);
  const options = { cwd: repoRoot, env: { ...process.env, NODE_NO_WARNINGS: '1', ...env } };
  const proc = ns ? ns.spawn(command, args, options) : startProcess(command, args, options);
  await proc.waitFor(/xenboot started/, timeoutMs);
  return proc;
}
