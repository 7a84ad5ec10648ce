/**
 * A real `xenboot serve` child: the config file's inventory reloads on SIGHUP (a broken file is reported
 * and the running inventory kept), and a host added through the API is served at once. Observed through
 * the generated `pxelinux.cfg/01-<mac>` files over HTTP, the same content TFTP serves.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcess } from '../../lab/process.js';
import { startXenboot, writeTempConfig } from '../../lab/xenboot.js';

const TOKEN = 'sighup-test-token-0123456789';
const A = '52:54:00:5e:00:0a';
const B = '52:54:00:5e:00:0b';
const C = '52:54:00:5e:00:0c';

function configWith(hosts: Array<{ mac: string; profile: string }>) {
  return {
    log: { level: 'info', format: 'json' },
    tftp: { enabled: false },
    http: { port: 0, token: TOKEN },
    inventory: { profiles: [{ name: 'local', kind: 'localboot' }], hosts },
  };
}

const pxelinuxName = (mac: string) => `pxelinux.cfg/01-${mac.replace(/:/g, '-')}`;

describe('SIGHUP reload and API changes in a running xenboot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xenboot-sighup-'));
  let path: string;
  let proc: RunningProcess;
  let base: string;
  beforeAll(async () => {
    path = writeTempConfig(configWith([{ mac: A, profile: 'local' }]), dir);
    proc = await startXenboot(path);
    const port = /"protocol":"http","address":"127\.0\.0\.1","port":(\d+)/.exec(proc.output())?.[1];
    expect(port, proc.output()).toBeDefined();
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await proc?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const status = async (mac: string) => (await fetch(`${base}/${pxelinuxName(mac)}`)).status;
  const hangup = async (expect: RegExp) => {
    const seen = proc.output().length;
    process.kill(proc.pid, 'SIGHUP');
    await proc.waitFor(new RegExp(`[\\s\\S]{${seen}}[\\s\\S]*${expect.source}`), 10_000);
  };

  it('serves the config file’s host, and after an edit + SIGHUP the new inventory, at once', async () => {
    expect(await status(A)).toBe(200);
    expect(await status(B)).toBe(404);
    writeFileSync(path, JSON.stringify(configWith([{ mac: B, profile: 'local' }])));
    await hangup(/inventory reloaded/);
    expect(await status(B)).toBe(200);
    expect(await status(A)).toBe(404);
  });

  it('keeps the running inventory when the edited file is invalid, and says why', async () => {
    writeFileSync(path, JSON.stringify(configWith([{ mac: 'not-a-mac', profile: 'local' }])));
    await hangup(/config not reloaded/);
    expect(proc.output()).toContain('not-a-mac is not a MAC address');
    expect(await status(B)).toBe(200);
    expect(proc.pid).toBeGreaterThan(0);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('a host created through the API is served at once, and a SIGHUP keeps it (store entries survive reloads)', async () => {
    expect(await status(C)).toBe(404);
    const created = await fetch(`${base}/api/v1/hosts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ mac: C, profile: 'local' }),
    });
    expect(created.status).toBe(201);
    expect(await status(C)).toBe(200);
    writeFileSync(path, JSON.stringify(configWith([{ mac: B, profile: 'local' }])));
    await hangup(/inventory reloaded/);
    expect(await status(C)).toBe(200);
    expect(await status(B)).toBe(200);
  });
});

describe('SIGHUP reloads the templates of inventory.templateDir', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xenboot-sighup-templates-'));
  const template = join(dir, 'templates', 'pxelinux', 'localboot.hbs');
  let proc: RunningProcess;
  let base: string;
  const localboot = (marker: string) => `# ${marker} {{profile.name}} for {{host.mac}}\nDEFAULT local\nLABEL local\n  LOCALBOOT 0\n`;
  beforeAll(async () => {
    mkdirSync(join(dir, 'templates', 'pxelinux'), { recursive: true });
    writeFileSync(template, localboot('first-edition'));
    const path = writeTempConfig({ ...configWith([{ mac: A, profile: 'local' }]), inventory: { ...configWith([{ mac: A, profile: 'local' }]).inventory, templateDir: 'templates' } }, dir);
    proc = await startXenboot(path);
    const port = /"protocol":"http","address":"127\.0\.0\.1","port":(\d+)/.exec(proc.output())?.[1];
    expect(port, proc.output()).toBeDefined();
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await proc?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const config = async () => (await fetch(`${base}/${pxelinuxName(A)}`)).text();
  const hangup = async (expect: RegExp) => {
    const seen = proc.output().length;
    process.kill(proc.pid, 'SIGHUP');
    await proc.waitFor(new RegExp(`[\\s\\S]{${seen}}[\\s\\S]*${expect.source}`), 10_000);
  };

  it('renders an edited template after SIGHUP, and keeps the running one when the edit does not compile', async () => {
    expect(await config()).toContain(`# first-edition local for ${A}`);
    writeFileSync(template, localboot('second-edition'));
    expect(await config(), 'no change before the SIGHUP').toContain('# first-edition');
    await hangup(/inventory reloaded/);
    expect(await config()).toContain(`# second-edition local for ${A}`);

    writeFileSync(template, '# {{#if profile.name}} never closed\n');
    await hangup(/config not reloaded/);
    expect(proc.output()).toContain(template);
    expect(await config()).toContain(`# second-edition local for ${A}`);
  });
});
