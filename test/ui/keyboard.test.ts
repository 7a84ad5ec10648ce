/**
 * The console with the keyboard only, in chromium on 127.0.0.1: the skip link, the navigation, the
 * machines search and a machine's page, the token dialog; the focused control is always outlined.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHarness, type Harness } from '../../lab/http/harness.js';
import { launchChromium } from '../../lab/browser.js';

const HOSTS = Array.from({ length: 5 }, (_, i) => ({ mac: `52:54:00:cb:00:0${i + 1}`, hostname: `kb${i + 1}`, profile: 'rescue' }));

/** What has the focus: its tag, text or label, and whether it is drawn with an outline. */
async function focused(page: Page): Promise<{ tag: string; text: string; id: string; outlined: boolean }> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement;
    const style = getComputedStyle(el);
    return { tag: el.tagName.toLowerCase(), text: (el.getAttribute('aria-label') ?? el.textContent ?? '').trim(), id: el.id, outlined: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0 };
  });
}

/** Presses Tab until `match` has the focus (at most `max` times); returns the focused element. */
async function tabTo(page: Page, match: (f: Awaited<ReturnType<typeof focused>>) => boolean, max = 30): Promise<Awaited<ReturnType<typeof focused>>> {
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (match(f)) return f;
  }
  throw new Error(`nothing matching was reached in ${max} tabs`);
}

describe('the console with the keyboard', () => {
  const profile = mkdtempSync(join(tmpdir(), 'xenboot-console-keyboard-'));
  let h: Harness | undefined;
  let browser: BrowserContext | undefined;
  let base = '';

  beforeAll(async () => {
    h = await buildHarness({ config: { inventory: { profiles: [{ name: 'rescue', kind: 'linux', kernel: 'vmlinuz' }], hosts: HOSTS } } });
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`;
    browser = await launchChromium(profile);
  });

  afterAll(async () => {
    await browser?.close();
    await h?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  it('reaches every page, the search, a machine and the token dialog from the keyboard, with the focus always outlined', async () => {
    const page = await browser!.newPage();
    await page.setViewportSize({ width: 1280, height: 800 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/#/machines`);
    await page.locator('tr[data-mac]').first().waitFor({ timeout: 15_000 });

    // The first Tab lands on the skip link; Enter puts the focus on the content, on the same page.
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatchObject({ tag: 'a', text: 'Skip to content', outlined: true });
    await page.keyboard.press('Enter');
    expect(await focused(page)).toMatchObject({ tag: 'main' });
    expect(await page.locator('h1').textContent()).toBe('Machines');

    // The search is the first control of the page; typing filters the rows.
    expect(await tabTo(page, (f) => f.id === 'machine-search')).toMatchObject({ outlined: true });
    await page.keyboard.type('kb3');
    await expect.poll(() => page.locator('tr[data-mac]').count(), { timeout: 10_000 }).toBe(1);
    // On to the machine's link, and Enter opens its page.
    expect(await tabTo(page, (f) => f.tag === 'a' && f.text === HOSTS[2]!.mac)).toMatchObject({ outlined: true });
    await page.keyboard.press('Enter');
    await page.locator('h1', { hasText: `Machine ${HOSTS[2]!.mac}` }).waitFor({ timeout: 10_000 });
    expect((await focused(page)).tag).toBe('main');

    // Every page through the navigation.
    for (const [label, heading] of [
      ['Inventory', 'Inventory'],
      ['Leases', 'Leases'],
      ['Overview', 'Overview'],
      ['Machines', 'Machines'],
    ] as const) {
      await page.keyboard.press('Shift+Tab'); // from the content back into the header
      const link = await tabTo(page, (f) => f.tag === 'a' && f.text === label);
      expect(link.outlined).toBe(true);
      await page.keyboard.press('Enter');
      await page.locator('h1', { hasText: heading }).waitFor({ timeout: 10_000 });
      expect(await page.locator(`nav a[aria-current="page"]`).textContent()).toBe(label);
    }

    // The token dialog: open with Enter, the input has the focus, Escape closes it and gives the focus back.
    await page.keyboard.press('Shift+Tab');
    expect(await tabTo(page, (f) => f.id === 'token-button')).toMatchObject({ outlined: true });
    await page.keyboard.press('Enter');
    await page.locator('#token-dialog[open]').waitFor();
    expect((await focused(page)).id).toBe('token-input');
    await page.keyboard.press('Escape');
    expect(await page.locator('#token-dialog[open]').count()).toBe(0);
    expect((await focused(page)).id).toBe('token-button');
    expect(errors).toEqual([]);
    await page.close();
  });
});
