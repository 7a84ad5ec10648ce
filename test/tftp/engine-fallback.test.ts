/**
 * Choosing the transfer engine in a real `xenboot serve`: without the addon (`XENBOOT_NATIVE_ADDON=off`
 * stands in for a machine where it was not built) `tftp.engine: auto` says so in the log and serves over
 * node:dgram to a real client, and `tftp.engine: native` refuses to start with a one-line reason.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCommands, runCommand, type RunningProcess } from '../../lab/process.js';
import { repoRoot, startXenboot, writeTempConfig, xenbootCommand } from '../../lab/xenboot.js';
import { makeTftpRoot, md5 } from './support.js';

let tree: ReturnType<typeof makeTftpRoot>;
const started: RunningProcess[] = [];

beforeAll(async () => {
  await requireCommands('tftp');
  tree = makeTftpRoot(['one-mib.bin']);
});

afterAll(async () => {
  for (const proc of started) await proc.stop();
  if (tree) rmSync(tree.dir, { recursive: true, force: true });
});

const config = (engine: string) => ({
  log: { format: 'json', level: 'info' },
  http: { enabled: false },
  store: { kind: 'memory' },
  tftp: { port: 0, root: tree.root, engine },
});

describe('tftp.engine without the addon', () => {
  it('auto: warns with the reason, and tftp-hpa still downloads intact over node:dgram', async () => {
    const proc = await startXenboot(writeTempConfig(config('auto')), undefined, 30_000, { XENBOOT_NATIVE_ADDON: 'off' });
    started.push(proc);
    expect(proc.output()).toMatch(/"reason":"XENBOOT_NATIVE_ADDON=off".*TFTP transfers use node:dgram: the native UDP engine is not available/);
    const port = Number(proc.output().match(/"protocol":"tftp","address":"127\.0\.0\.1","port":(\d+)/)?.[1]);
    const local = join(tree.out, 'fallback.bin');
    const result = await runCommand('tftp', ['-m', 'binary', '127.0.0.1', String(port), '-c', 'get', 'one-mib.bin', local], { timeoutMs: 30_000 });
    expect(result.stdout + result.stderr).not.toMatch(/Error|timed out/);
    expect(md5(local)).toBe(tree.md5s['one-mib.bin']);
  });

  it('native: does not start, and says why in one line (exit 1)', async () => {
    const [command, args] = xenbootCommand('serve', '--config', writeTempConfig(config('native')));
    const result = await runCommand(command, args, { cwd: repoRoot, timeoutMs: 30_000, env: { ...process.env, XENBOOT_NATIVE_ADDON: 'off', NODE_NO_WARNINGS: '1' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/tftp\.engine is native but the xenboot_udp addon is not available: XENBOOT_NATIVE_ADDON=off/);
  });
});
