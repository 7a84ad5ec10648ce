/**
 * The Overview's warning about other DHCP servers, in chromium on 127.0.0.1: no banner while none is seen;
 * once the detector sees a client choose another server, the banner names it (the page reloads on the
 * live `dhcp-rogue` event).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ipBytes, Opt } from '../../src/dhcp/options.js';
import { MessageType } from '../../src/dhcp/packet.js';
import { RogueWatch } from '../../src/dhcp/rogue-watch.js';
import type { Logger } from '../../src/log.js';
import { buildHarness, type Harness } from '../../lab/http/harness.js';
import { request } from '../dhcp/requests.js';
import { launchChromium } from '../../lab/browser.js';

const ROGUE = '10.207.7.66';

describe('the Overview banner for other DHCP servers', () => {
  const profile = mkdtempSync(join(tmpdir(), 'xenboot-console-profile-'));
  let h: Harness | undefined;
  let watch: RogueWatch | undefined;
  let browser: BrowserContext | undefined;
  let base = '';

  beforeAll(async () => {
    h = await buildHarness({ rogueServers: () => watch?.report() ?? null });
    watch = new RogueWatch({
      config: { passive: 'server-port', active: false, intervalSeconds: 300, probeMac: '02:78:62:00:00:01', allowedServers: [] },
      serverAddress: '10.207.7.1',
      events: h.bus,
      logger: { warn: () => {} } as unknown as Logger,
    });
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

  it('shows no banner while no other server is seen, then names the one a client chose', async () => {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/#/`);
    await page.locator('text=Boots per minute').waitFor({ timeout: 15_000 });
    await page.locator('#live-state.live.live').waitFor({ timeout: 15_000 });
    expect(await page.locator('.rogue-dhcp').count()).toBe(0);

    // A client's broadcast REQUEST naming another server, as xenboot's port 67 sees it.
    watch!.observe(request({ type: MessageType.Request, mac: '02:00:00:07:07:01', options: { [Opt.ServerId]: ipBytes(ROGUE) } }), { address: '0.0.0.0' });
    const banner = page.locator('.rogue-dhcp[role=alert]');
    await banner.waitFor({ timeout: 15_000 });
    const text = await banner.innerText();
    expect(text).toContain('Another DHCP server answers on the boot network.');
    expect(text).toContain(ROGUE);
    expect(text).toContain('seen via server-port (1 message)');
    expect(text).toContain('dhcp.rogueDetection.allowedServers');
    expect(errors).toEqual([]);
  });
});
