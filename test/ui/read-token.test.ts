/**
 * The console with `http.readAccess: token` and with a server that goes away, in chromium on 127.0.0.1:
 * a read answered 401 makes the page ask for the token (and the page loads once it is given); a server
 * that stops answering shows a message and the live badge says it is retrying, never a blank page.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHarness, TOKEN, type Harness } from '../../lab/http/harness.js';
import { launchChromium } from '../../lab/browser.js';


describe('the console when reads need the token, and when the server goes away', () => {
  const profile = mkdtempSync(join(tmpdir(), 'xenboot-console-profile-'));
  let h: Harness | undefined;
  let browser: BrowserContext | undefined;
  let base = '';

  beforeAll(async () => {
    h = await buildHarness({ config: { http: { token: TOKEN, readAccess: 'token' } } });
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const address = h.app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    browser = await launchChromium(profile);
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  });

  it('asks for the token when a read answers 401; a wrong token is refused clearly; the right one loads the page and stays with the tab; says so when the server stops', async () => {
    const page = await browser!.newPage();
    const consoleErrors: string[] = [];
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(`${base}/#/machines`);
    await page.locator('#token-dialog[open]').waitFor({ timeout: 15_000 });
    expect(await page.locator('#token-why').textContent()).toMatch(/token/);

    // A wrong token: the dialog comes back saying so, the live badge too; nothing is shown.
    await page.fill('#token-input', 'not-the-token');
    await page.click('#token-dialog button[value=save]');
    await page.locator('#token-dialog[open] #token-why', { hasText: 'refused' }).waitFor({ timeout: 15_000 });
    expect(await page.locator('#token-why').textContent()).toContain('wrong token');
    await page.locator('#live-state', { hasText: 'not live: wrong token' }).waitFor({ timeout: 15_000 });
    expect(await page.locator('tr[data-mac]').count()).toBe(0);

    // The right one: the page loads and goes live.
    await page.fill('#token-input', TOKEN);
    await page.click('#token-dialog button[value=save]');
    await page.locator('#machines-summary', { hasText: 'machines shown' }).waitFor({ timeout: 15_000 });
    await page.locator('#live-state.live.live').waitFor({ timeout: 15_000 });
    expect(await page.locator('#token-dialog').getAttribute('open')).toBeNull();
    expect(await page.evaluate(() => location.href)).not.toContain(TOKEN);

    // Opening the dialog and leaving it with Escape keeps the token.
    await page.click('#token-button');
    await page.locator('#token-dialog[open]').waitFor();
    await page.keyboard.press('Escape');
    expect(await page.locator('#token-button').getAttribute('aria-label')).toBe('API token (set)');
    // Kept for this tab: a reload loads without asking; another tab asks.
    await page.reload();
    await page.locator('#machines-summary', { hasText: 'machines shown' }).waitFor({ timeout: 15_000 });
    expect(await page.locator('#token-dialog[open]').count()).toBe(0);
    const other = await browser!.newPage();
    await other.goto(`${base}/#/machines`);
    await other.locator('#token-dialog[open]').waitFor({ timeout: 15_000 });
    await other.close();
    expect(consoleErrors).toEqual([]);

    await h!.app.close();
    await page.locator('#live-state.retrying').waitFor({ timeout: 15_000 });
    await page.locator('#token-button').focus();
    await page.keyboard.press('Escape');
    await page.click('nav a[href="#/leases"]');
    await page.locator('.banner.error', { hasText: 'does not answer' }).waitFor({ timeout: 15_000 });
    expect(await page.locator('h1').textContent()).toBe('Leases');
    await page.close();
  });
});
