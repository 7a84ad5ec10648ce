/**
 * The machine page's "Next boot" panel in Debian's chromium (playwright-core): a host armed "rescue once"
 * through the API shows its state, action and what it boots; the panel arms and clears actions with the
 * tab's token, and the lifecycle rows appear in the waterfall. xenboot and chromium run in a namespace
 * this test creates (`xlc…`, 10.205.31.1); nothing listens outside it. Screenshot:
 * test/.tmp/ui-screenshots/machine-next-boot.png.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot, Namespace } from '../../lab/netns.js';
import { requireCommands, type RunningProcess } from '../../lab/process.js';
import { repoRoot, startXenboot, writeTempConfig } from '../../lab/xenboot.js';
import { launchChromium } from '../../lab/browser.js';

const SERVER = '10.205.31.1';
const BASE = `http://${SERVER}:8080`;
const TOKEN = 'lifecycle-ui-token-0123456789';
const MAC = '52:54:00:30:01:01';
const SCREENSHOTS = join(repoRoot, 'test', '.tmp', 'ui-screenshots');

describe('machine page: next boot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xenboot-lc-ui-'));
  let ns: Namespace | undefined;
  let xenboot: RunningProcess | undefined;
  let browser: BrowserContext | undefined;

  const api = async (method: string, path: string, body?: unknown) => {
    const args = ['-sS', '-m', '20', '-X', method, '-H', `authorization: Bearer ${TOKEN}`];
    if (body !== undefined) args.push('-H', 'content-type: application/json', '-d', JSON.stringify(body));
    const result = await ns!.exec('curl', [...args, `${BASE}${path}`], { timeoutMs: 30_000 });
    return JSON.parse(result.stdout);
  };

  beforeAll(async () => {
    if (!isRoot()) throw new Error('this test needs root (network namespaces)');
    await requireCommands('ip', 'curl', '/usr/bin/chromium');
    mkdirSync(SCREENSHOTS, { recursive: true });
    ns = await Namespace.create('xlc');
    // The namespace's own loopback carries the server address: browser and server share the namespace.
    await ns.ip('addr', 'add', `${SERVER}/32`, 'dev', 'lo');
    const root = join(dir, 'tftproot');
    mkdirSync(root);
    const config = writeTempConfig(
      {
        log: { level: 'info', format: 'json' },
        server: { address: SERVER },
        dhcp: { mode: 'off' },
        tftp: { root },
        http: { port: 8080, token: TOKEN, readAccess: 'open' },
        store: { kind: 'sqlite', path: join(dir, 'xenboot.db') },
        inventory: {
          profiles: [
            { name: 'dom0', kind: 'linux', kernel: 'linux/vmlinuz', initrds: ['linux/initrd.img'], args: [] },
            { name: 'rescue', kind: 'linux', kernel: 'rescue/vmlinuz', initrds: ['rescue/initrd.img'], args: [] },
          ],
          hosts: [{ mac: MAC, hostname: 'node1', profile: 'dom0', bmc: { protocol: 'ipmi', address: '10.205.31.2', credentials: 'none-here' } }],
        },
      },
      dir,
    );
    xenboot = await startXenboot(config, ns);
    browser = await launchChromium(join(dir, 'chromium-profile'), { namespace: ns });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await xenboot?.stop();
    await ns?.delete();
    rmSync(dir, { recursive: true, force: true });
  });

  const open = async (): Promise<{ page: Page; errors: string[] }> => {
    const page = await browser!.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${BASE}/#/machines/${MAC}`);
    return { page, errors };
  };

  it('shows an action armed through the API, and arms, power-cycle option included, and clears from the page', async () => {
    const armed = await api('PUT', `/api/v1/hosts/${MAC}/next-boot`, { action: 'once', profile: 'rescue' });
    expect(armed.lifecycle.state).toBe('pending');
    const { page, errors } = await open();
    const panel = page.locator('#next-boot');
    await panel.locator('.lifecycle-state').waitFor({ timeout: 15_000 });
    expect(await panel.locator('.lifecycle-state').textContent()).toBe('pending — once: rescue');
    expect(await panel.textContent()).toContain('rescue (next boot: once: rescue (pending))');
    expect(await panel.textContent()).toContain('ipmi 10.205.31.2');
    await page.locator('.waterfall li[data-kind=lifecycle]').first().waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(SCREENSHOTS, 'machine-next-boot.png'), fullPage: true });

    // Changes need the token: give it to the tab, then clear from the page.
    await page.click('#token-button');
    await page.fill('#token-input', TOKEN);
    await page.click('#token-dialog button[value=save]');
    await panel.locator('button', { hasText: 'Clear' }).click();
    await page.waitForFunction(() => document.querySelector('#next-boot .lifecycle-state')?.textContent === 'idle', null, { timeout: 10_000 });
    expect((await api('GET', `/api/v1/hosts/${MAC}/lifecycle`)).state).toBe('idle');

    // Reinstall from the page; with "power-cycle" ticked, the missing credentials are reported and nothing is armed.
    await panel.locator('select').selectOption('rescue');
    await panel.locator('#nb-cycle').check();
    await panel.locator('button', { hasText: 'Reinstall' }).click();
    await page.waitForFunction(() => /no BMC credentials named "none-here"/.test(document.querySelector('#next-boot [role=status]')?.textContent ?? ''), null, { timeout: 15_000 });
    expect((await api('GET', `/api/v1/hosts/${MAC}/lifecycle`)).state).toBe('idle');
    await panel.locator('#nb-cycle').uncheck();
    await panel.locator('button', { hasText: 'Reinstall' }).click();
    await page.waitForFunction(() => document.querySelector('#next-boot .lifecycle-state')?.textContent === 'pending — reinstall: rescue', null, { timeout: 10_000 });
    const status = await api('GET', `/api/v1/hosts/${MAC}/lifecycle`);
    expect(status).toMatchObject({ state: 'pending', action: 'reinstall: rescue' });
    expect(status.updatedBy).toMatch(/^api from 10\.205\.31\.1$/);
    await page.screenshot({ path: join(SCREENSHOTS, 'machine-next-boot-reinstall.png'), fullPage: true });
    expect(errors.filter((e) => !/409|Conflict/.test(e))).toEqual([]);
  });
});
