/**
 * The operator's console in a real browser (Debian's chromium, driven headless by playwright-core; no
 * browser is downloaded). `xenboot serve` runs in a network namespace this test creates (prefix `xbu`,
 * subnet 10.204.60.0/24) and chromium runs in the same namespace, so nothing listens outside it. Real
 * clients make the traffic: busybox `udhcpc` and tftp-hpa's `tftp` in a second namespace.
 *
 * Screenshots of every page go to test/.tmp/ui-screenshots/ (git-ignored).
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, isRoot, Namespace } from '../../lab/netns.js';
import { requireCommands, type RunningProcess } from '../../lab/process.js';
import { repoRoot, startXenboot, writeTempConfig } from '../../lab/xenboot.js';
import { launchChromium } from '../../lab/browser.js';

const SERVER = '10.204.60.1';
const BASE = `http://${SERVER}:8080`;
const TOKEN = 'console-test-token-0123456789';
const KNOWN_MAC = '52:54:00:cc:60:01';
const UNKNOWN_MAC = '52:54:00:cc:60:02';
/** Fetched over TFTP with the client's UDP shaped: lasts several seconds. */
const SLOW_TFTP_BYTES = 64 * 1024;
/** Fetched by curl at 5 MB/s: the socket buffers hold a few MB, the rest takes seconds. */
const BIG_HTTP_BYTES = 32 * 1024 * 1024;
export const SCREENSHOTS = join(repoRoot, 'test', '.tmp', 'ui-screenshots');

/** Records console errors and failed requests of a page (the live stream aborted on purpose excepted). */
function watch(page: Page): { errors: string[]; failed: string[] } {
  const seen = { errors: [] as string[], failed: [] as string[] };
  page.on('console', (m) => m.type() === 'error' && seen.errors.push(m.text()));
  page.on('pageerror', (e) => seen.errors.push(e.message));
  page.on('requestfailed', (r) => {
    if (!(r.url().includes('/api/v1/events/stream') && r.failure()?.errorText === 'net::ERR_ABORTED')) seen.failed.push(`${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => r.status() >= 400 && seen.failed.push(`${r.url()} ${r.status()}`));
  return seen;
}

describe('the console in chromium, with real DHCP and TFTP clients', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xenboot-console-'));
  let server: Namespace | undefined;
  let client: Namespace | undefined;
  let clientIf = '';
  let xenboot: RunningProcess | undefined;
  let browser: BrowserContext | undefined;

  /** Runs udhcpc once for `mac` on the client's interface; returns the boot file it was given ('' for none). */
  const dhcp = async (mac: string): Promise<string> => {
    await client!.ip('link', 'set', clientIf, 'down');
    await client!.ip('link', 'set', clientIf, 'address', mac);
    await client!.ip('link', 'set', clientIf, 'up');
    const out = join(dir, 'boot-file');
    rmSync(out, { force: true });
    const result = await client!.exec('busybox', ['udhcpc', '-i', clientIf, '-f', '-q', '-n', '-t', '4', '-T', '1', '-s', join(dir, 'udhcpc.sh')], { timeoutMs: 30_000 });
    expect(result.code, result.stderr + result.stdout).toBe(0);
    return readFileSync(out, 'utf8').trim();
  };

  const open = async (hash: string): Promise<{ page: Page; seen: ReturnType<typeof watch> }> => {
    const page = await browser!.newPage();
    await page.setViewportSize({ width: 1280, height: 800 });
    const seen = watch(page);
    await page.goto(`${BASE}/${hash}`);
    await page.locator('#live-state.live.live').waitFor({ timeout: 15_000 });
    return { page, seen };
  };

  const setToken = async (page: Page, token: string) => {
    await page.click('#token-button');
    await page.fill('#token-input', token);
    await page.click('#token-dialog button[value=save]');
  };

  beforeAll(async () => {
    if (!isRoot()) throw new Error('this test needs root (network namespaces)');
    await requireCommands('ip', 'busybox', 'tftp', '/usr/bin/chromium');
    mkdirSync(SCREENSHOTS, { recursive: true });
    server = await Namespace.create('xbus');
    client = await Namespace.create('xbuc');
    [, clientIf] = await connect(server, `${SERVER}/24`, client, null);
    const root = join(dir, 'tftproot');
    mkdirSync(root);
    writeFileSync(join(root, 'pxelinux.0'), Buffer.alloc(60_000, 1));
    writeFileSync(join(root, 'vmlinuz'), Buffer.alloc(200_000, 2));
    writeFileSync(join(root, 'slow.img'), Buffer.alloc(SLOW_TFTP_BYTES, 3));
    writeFileSync(join(root, 'big.img'), Buffer.alloc(BIG_HTTP_BYTES, 4));
    const config = writeTempConfig(
      {
        log: { level: 'info', format: 'json' },
        server: { address: SERVER },
        dhcp: { mode: 'full', subnet: '10.204.60.0/24', ranges: [{ start: '10.204.60.100', end: '10.204.60.140' }], leaseTime: 600 },
        tftp: { root },
        http: { port: 8080, token: TOKEN, readAccess: 'open' },
        store: { kind: 'sqlite', path: join(dir, 'xenboot.db') },
        inventory: {
          profiles: [{ name: 'rescue', kind: 'linux', kernel: 'vmlinuz', args: ['console=ttyS0'] }],
          hosts: [{ mac: KNOWN_MAC, hostname: 'node1', profile: 'rescue' }],
        },
      },
      dir,
    );
    xenboot = await startXenboot(config, server);
    writeFileSync(join(dir, 'udhcpc.sh'), `#!/bin/sh\ncase "$1" in bound|renew) ip addr flush dev "$interface"; ip addr add "$ip/$mask" dev "$interface"; echo "$boot_file" > ${join(dir, 'boot-file')};; esac\n`);
    chmodSync(join(dir, 'udhcpc.sh'), 0o755);
    // Chromium in the server's namespace: playwright talks to it over a pipe, so no port is opened.
    browser = await launchChromium(join(dir, 'chromium-profile'), { namespace: server });
  });

  afterAll(async () => {
    await browser?.close();
    await xenboot?.stop();
    await client?.delete();
    await server?.delete();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads every page with no console error and no failed request, at desktop and phone width', async () => {
    expect(await dhcp(KNOWN_MAC)).toBe('pxelinux.0');
    for (const [name, hash, ready] of [
      ['overview', '#/', 'text=Boots per minute'],
      ['machines', '#/machines', `a:has-text("${KNOWN_MAC}")`],
      ['machine', `#/machines/${KNOWN_MAC}`, '.waterfall li.event'],
      ['inventory', '#/inventory', 'table.profiles td:has-text("rescue")'],
      ['leases', '#/leases', `a:has-text("${KNOWN_MAC}")`],
    ] as const) {
      const { page, seen } = await open(hash);
      await page.locator(ready).first().waitFor({ timeout: 15_000 });
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.screenshot({ path: join(SCREENSHOTS, `${name}-phone.png`) });
      // Every control has a label: inputs and selects by <label for>, buttons by text or aria-label.
      const unlabelled = await page.evaluate(() =>
        [...document.querySelectorAll('input, select, textarea')].filter((el) => !el.closest('dialog') && !document.querySelector(`label[for="${el.id}"]`) && !el.getAttribute('aria-label')).map((el) => el.outerHTML),
      );
      expect(unlabelled).toEqual([]);
      expect(seen.errors, name).toEqual([]);
      expect(seen.failed, name).toEqual([]);
      await page.close();
    }
  });

  it('shows a new DHCP machine as unknown without reload, adds it to the inventory, and its next DHCP answer has the boot file', async () => {
    const { page } = await open('#/machines');
    await setToken(page, TOKEN);
    expect(await dhcp(UNKNOWN_MAC)).toBe(''); // not in the inventory: no boot file
    const row = page.locator(`tr[data-mac="${UNKNOWN_MAC}"]`);
    await row.locator('.badge.unknown').waitFor({ timeout: 15_000 });
    expect(await row.textContent()).toContain('udhcp'); // its vendor class (option 60), as udhcpc sent it
    await page.screenshot({ path: join(SCREENSHOTS, 'machines-unknown.png') });
    await row.getByRole('button', { name: `Add ${UNKNOWN_MAC} to the inventory` }).click();
    await page.getByLabel('Hostname').fill('node2');
    await page.getByLabel('Profile').selectOption('rescue');
    await page.getByRole('button', { name: 'Add host' }).click();
    await row.locator('td', { hasText: 'rescue' }).waitFor({ timeout: 15_000 });
    expect(await dhcp(UNKNOWN_MAC)).toBe('pxelinux.0');
    await page.close();
  });

  it('grows the timeline of an open machine page as a real TFTP client fetches a file', async () => {
    await dhcp(KNOWN_MAC);
    const { page, seen } = await open(`#/machines/${KNOWN_MAC}`);
    const events = page.locator('.waterfall li.event');
    await events.first().waitFor();
    const before = await events.count();
    const tftp = await client!.exec('tftp', [SERVER, '-m', 'binary', '-c', 'get', 'pxelinux.0', join(dir, 'fetched')], { timeoutMs: 30_000 });
    expect(tftp.code, tftp.stderr + tftp.stdout).toBe(0);
    await page.locator('.waterfall li.event', { hasText: 'tftp pxelinux.0' }).waitFor({ timeout: 15_000 });
    expect(await events.count()).toBe(before + 1);
    await page.screenshot({ path: join(SCREENSHOTS, 'machine-live.png'), fullPage: true });
    expect(seen.errors).toEqual([]);
    await page.close();
  });

  it('shows a slow TFTP transfer and an HTTP download on the Overview while they run, and neither once they are done', async () => {
    await dhcp(KNOWN_MAC);
    const { page, seen } = await open('#/');
    const running = page.locator('#active-transfers');
    await running.getByText('None running.').waitFor({ timeout: 15_000 });
    // The client's UDP (its TFTP ACKs) leaves at 8 kbit/s, about 16 ACKs a second: the lock-step
    // transfer of slow.img (128 blocks of 512 bytes) takes seconds. TCP is not shaped; curl limits itself.
    const tc = (...args: string[]) => client!.exec('tc', args, { timeoutMs: 10_000 });
    expect((await tc('qdisc', 'add', 'dev', clientIf, 'root', 'handle', '1:', 'htb', 'default', '10')).code).toBe(0);
    try {
      await tc('class', 'add', 'dev', clientIf, 'parent', '1:', 'classid', '1:10', 'htb', 'rate', '1gbit');
      await tc('class', 'add', 'dev', clientIf, 'parent', '1:', 'classid', '1:20', 'htb', 'rate', '8kbit', 'ceil', '8kbit');
      expect((await tc('filter', 'add', 'dev', clientIf, 'parent', '1:', 'protocol', 'ip', 'u32', 'match', 'ip', 'protocol', '17', '0xff', 'flowid', '1:20')).code).toBe(0);
      const started = Date.now();
      const tftp = client!.exec('tftp', [SERVER, '-m', 'binary', '-c', 'get', 'slow.img', join(dir, 'slow.img')], { timeoutMs: 120_000 });
      const curl = client!.exec('curl', ['-fsS', '--max-time', '100', '--limit-rate', '5M', '-o', join(dir, 'big.img'), `${BASE}/big.img`], { timeoutMs: 120_000 });
      const tftpRow = running.locator('tr', { hasText: 'slow.img' });
      const httpRow = running.locator('tr', { hasText: '/big.img' });
      await tftpRow.waitFor({ timeout: 15_000 });
      await httpRow.waitFor({ timeout: 15_000 });
      expect(await tftpRow.textContent()).toMatch(/tftp.*10\.204\.60\.\d+:\d+.*\/ 66 kB/);
      expect(await httpRow.textContent()).toMatch(/http.*10\.204\.60\.\d+:\d+.*\/ 33\.6 MB/);
      // The bytes grow while the page polls (every second).
      const bytesOf = async () => Number(await tftpRow.locator('progress').getAttribute('value'));
      const first = await bytesOf();
      await expect.poll(bytesOf, { timeout: 15_000 }).toBeGreaterThan(first);
      expect(await bytesOf()).toBeLessThan(SLOW_TFTP_BYTES);
      await page.screenshot({ path: join(SCREENSHOTS, 'overview-active.png'), fullPage: true });
      const [t, c] = await Promise.all([tftp, curl]);
      expect(t.code, t.stderr + t.stdout).toBe(0);
      expect(c.code, c.stderr).toBe(0);
      expect(readFileSync(join(dir, 'slow.img')).length).toBe(SLOW_TFTP_BYTES);
      expect(readFileSync(join(dir, 'big.img')).length).toBe(BIG_HTTP_BYTES);
      expect(Date.now() - started).toBeGreaterThan(3000);
      await running.getByText('None running.').waitFor({ timeout: 10_000 });
      expect(seen.errors).toEqual([]);
      expect(seen.failed).toEqual([]);
    } finally {
      await tc('qdisc', 'del', 'dev', clientIf, 'root');
      await page.close();
    }
  });

  it('shows an invalid profile edit on its field and changes nothing; refuses a change without the token', async () => {
    const api = async (path: string) => (await fetchInNs(server!, `${BASE}${path}`)) as Record<string, unknown>;
    const { page } = await open('#/inventory');
    await setToken(page, TOKEN);
    // A store profile to edit.
    await page.getByRole('button', { name: 'New profile' }).click();
    await page.getByLabel('name', { exact: true }).fill('edited');
    await page.getByLabel('kernel', { exact: true }).fill('vmlinuz');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: 'Edit edited' }).click();
    const before = await api('/api/v1/profiles/edited');
    await page.getByLabel('kernel', { exact: true }).fill('../../etc/shadow');
    await page.getByRole('button', { name: 'Save' }).click();
    const kernel = page.getByLabel('kernel', { exact: true });
    await expect.poll(() => kernel.getAttribute('aria-invalid')).toBe('true');
    const message = await page.locator(`#${await kernel.getAttribute('aria-describedby')}`).textContent();
    expect(message).toMatch(/must match|pattern|path/i);
    await page.screenshot({ path: join(SCREENSHOTS, 'inventory-field-error.png'), fullPage: true });
    expect(await api('/api/v1/profiles/edited')).toEqual(before);

    // Without the token the same change is refused, and nothing changes.
    await page.click('#token-button');
    await page.click('#token-dialog button[value=forget]');
    await page.getByRole('button', { name: 'Edit edited' }).click();
    await page.getByLabel('kernel', { exact: true }).fill('vmlinuz-new');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#token-dialog[open]').waitFor({ timeout: 10_000 });
    await page.click('#token-dialog button[value=cancel]');
    await expect.poll(async () => page.locator('.field-error').allTextContents()).toContainEqual(expect.stringMatching(/Authorization|token/));
    expect(await api('/api/v1/profiles/edited')).toEqual(before);
    await page.close();
  });
});

/** GET `url` with curl inside `ns` and parse the JSON. */
async function fetchInNs(ns: Namespace, url: string): Promise<unknown> {
  const result = await ns.exec('curl', ['-sS', '--max-time', '5', url], { timeoutMs: 10_000 });
  return JSON.parse(result.stdout);
}
