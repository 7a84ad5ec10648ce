/**
 * `xenboot host HOST …` against a running server (startServices, HTTP on loopback): next-boot, status,
 * clear, disabled, and the errors an operator meets (unknown host, unknown profile, no BMC). The audit
 * trail names the CLI user.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostCommand } from '../../src/commands/host.js';
import { loadConfigFile } from '../../src/config/load.js';
import { explainCommand } from '../../src/commands/explain.js';
import { writeFileSync } from 'node:fs';
import { silentLogger } from '../../src/log.js';
import { startServices, type Services } from '../../src/services.js';

const MAC = '52:54:00:30:00:31';
const TOKEN = 'cli-token-0123456789';

describe('xenboot host', () => {
  let services: Services;
  let dir: string;
  let url: string;
  let configPath: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xenboot-lc-cli-'));
    // A config file and a SQLite store: `xenboot explain --config` reads the same store as the server.
    configPath = join(dir, 'xenboot.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        server: { address: '127.0.0.1', user: 'root' },
        http: { address: '127.0.0.1', port: 0, token: TOKEN },
        tftp: { enabled: false, root: dir },
        dhcp: { mode: 'off' },
        store: { kind: 'sqlite', path: join(dir, 'xenboot.db') },
        inventory: {
          profiles: [
            { name: 'dom0', kind: 'linux', kernel: 'linux/vmlinuz', initrds: ['linux/initrd.img'], args: [] },
            { name: 'rescue', kind: 'linux', kernel: 'rescue/vmlinuz', initrds: ['rescue/initrd.img'], args: [] },
          ],
          hosts: [{ mac: MAC, hostname: 'cli-node', profile: 'dom0' }],
        },
      }),
    );
    const config = await loadConfigFile(configPath);
    services = await startServices(config, silentLogger());
    const http = services.endpoints.find((e) => e.protocol === 'http')!;
    url = `http://127.0.0.1:${http.port}`;
  }, 60_000);

  afterAll(async () => {
    await services?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (...args: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await hostCommand.run([...args, '--url', url, '--token', TOKEN], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    return { code, stdout, stderr };
  };

  it('next-boot rescue, status, none', async () => {
    const armed = await run('cli-node', 'next-boot', 'rescue');
    expect(armed.code, armed.stderr).toBe(0);
    expect(armed.stdout).toMatch(/state\s+pending — once: rescue/);
    expect(armed.stdout).toMatch(/next boot\s+rescue \(next boot: once: rescue \(pending\)\)/);
    const status = await run(MAC, 'status');
    expect(status.stdout).toMatch(/host\s+52:54:00:30:00:31 \(cli-node\)/);
    expect(status.stdout).toMatch(/changed\s+\S+ by cli:\S+ from 127\.0\.0\.1/);
    const json = JSON.parse((await run(MAC, 'status', '--json')).stdout);
    expect(json).toMatchObject({ state: 'pending', action: 'once: rescue', version: 1 });
    // `xenboot explain` reads the store the server writes: it says what the next boot gets.
    let explained = '';
    expect(await explainCommand.run(['--mac', MAC, '--config', configPath], { stdout: (t) => (explained += t), stderr: (t) => (explained += t) })).toBe(0);
    expect(explained).toMatch(/rescue/);
    expect(explained).toContain("the host's next boot: once: rescue (pending)");
    expect(explained).toMatch(/xenboot\.callback=/);
    const cleared = await run('cli-node', 'next-boot', 'none');
    expect(cleared.stdout).toMatch(/state\s+idle/);
    expect(cleared.stdout).toMatch(/last\s+cleared/);
    const disabled = await run('cli-node', 'next-boot', 'disabled');
    expect(disabled.stdout).toMatch(/state\s+disabled — netboot: disabled/);
    expect(disabled.stdout).toMatch(/next boot\s+localboot/);
    const events = await services.store.events.listEvents({ mac: MAC });
    expect(events.filter((e) => e.kind === 'lifecycle').map((e) => (e as { change: string }).change)).toEqual(['armed', 'cleared', 'armed']);
  });

  it('errors: unknown host, unknown profile, no BMC, bad usage, no token', async () => {
    expect(await run('nohost', 'status')).toMatchObject({ code: 1, stderr: expect.stringMatching(/nohost is not a host of the inventory.*\(HTTP 404\)/) });
    expect(await run('cli-node', 'next-boot', 'nope')).toMatchObject({ code: 1, stderr: expect.stringMatching(/profile "nope" does not exist/) });
    expect(await run('cli-node', 'power', 'status')).toMatchObject({ code: 1, stderr: expect.stringMatching(/no BMC/) });
    expect((await run('cli-node', 'next-boot')).code).toBe(2);
    expect((await run('cli-node', 'power', 'explode')).code).toBe(2);
    let stderr = '';
    const code = await hostCommand.run(['cli-node', 'next-boot', 'rescue', '--url', url, '--token', 'wrong'], { stdout: () => {}, stderr: (t) => (stderr += t) });
    expect(code).toBe(1);
    expect(stderr).toMatch(/wrong token \(HTTP 403\)/);
  });
});
