import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../lab/process.js';
import { repoRoot, startXenboot, writeTempConfig, xenbootCommand } from '../../lab/xenboot.js';
import type { RunningProcess } from '../../lab/process.js';

const run = (...args: string[]) => {
  const [command, argv] = xenbootCommand(...args);
  return runCommand(command, argv, { cwd: repoRoot, timeoutMs: 30_000 });
};

describe('xenboot CLI', () => {
  const started: RunningProcess[] = [];
  afterAll(async () => {
    for (const p of started) await p.stop();
  });

  it('check: a valid file prints ok and exits 0', async () => {
    const path = writeTempConfig({ tftp: { port: 0 }, http: { port: 0 } });
    const result = await run('check', '--config', path);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(': ok');
    expect(result.code).toBe(0);
  });

  it('check: every problem at once, with path and value, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xenboot-cli-'));
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'server:\n  address: 10.0.1.300\ntftp:\n  bogus: 1\n  maxBlksize: 70000\n');
    const result = await run('check', '--config', path);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('3 problems');
    expect(result.stderr).toContain('server.address: 10.0.1.300 is not an IPv4 address');
    expect(result.stderr).toContain('tftp.bogus: unknown key');
    expect(result.stderr).toMatch(/tftp\.maxBlksize: .*70000/);
  });

  it('check: a missing file and a missing --config are usage errors', async () => {
    expect((await run('check', '--config', '/nonexistent/xenboot.yaml')).code).toBe(2);
    expect((await run('check')).code).toBe(2);
    expect((await run('check', '--frobnicate')).code).toBe(2);
  });

  it('unknown command: exit 2 with the command list', async () => {
    const result = await run('frobnicate');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command');
    expect(result.stderr).toContain('serve');
  });

  it('serve: starts, answers /healthz, stops on SIGTERM with exit 0', async () => {
    const path = writeTempConfig({ tftp: { port: 0 }, http: { port: 0 }, store: { kind: 'memory' } });
    const proc = await startXenboot(path);
    started.push(proc);
    const match = proc.output().match(/"protocol":"http","address":"127\.0\.0\.1","port":(\d+)/);
    expect(match).not.toBeNull();
    const response = await fetch(`http://127.0.0.1:${match![1]}/healthz`);
    expect(response.status).toBe(200);
    await proc.stop('SIGTERM');
    expect(await proc.exited).toBe(0);
  });
});
