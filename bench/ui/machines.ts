/**
 * The console's Machines page with 10 000 hosts in the store and 90 000 events of the last hour in the
 * timeline, in Debian's chromium (headless, driven by playwright-core): how long until its first screen
 * of rows shows (on a visit the moment the server listens, and on visits once it is warm), what
 * `GET /api/v1/machines` and `GET /api/v1/overview` cost, and whether 1 000 events a second on the live
 * stream freeze the page (frame gaps and long tasks measured in the page).
 *
 *   npx tsx bench/ui/machines.ts [hosts] [events-per-second] [seconds] [stored-events]
 *
 * The app runs in this process on 127.0.0.1 (SQLite in memory, the same store and recorder as `serve`);
 * events are emitted on its bus, so they go through the recorder and the stream like real traffic.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BootEvent } from '../../src/timeline/types.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { buildHarness } from '../../lab/http/harness.js';
import { launchChromium } from '../../lab/browser.js';
import { exitOnHelp } from '../usage.js';

exitOnHelp(import.meta.url);

const hosts = Number(process.argv[2] ?? 10_000);
const rate = Number(process.argv[3] ?? 1000);
const seconds = Number(process.argv[4] ?? 5);
const storedEvents = Number(process.argv[5] ?? 90_000);

const mac = (i: number) => `52:54:00:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;

const store = openSqliteStore(':memory:');
await store.inventory.apply([
  { op: 'create', kind: 'profiles', doc: { name: 'rescue', kind: 'linux', kernel: 'vmlinuz', initrds: [], args: [] } },
  ...Array.from({ length: hosts }, (_, i) => ({ op: 'create' as const, kind: 'hosts' as const, doc: { mac: mac(i), hostname: `node${i}`, profile: 'rescue', labels: {} } })),
]);
// The last hour's timeline: DHCP and TFTP events of the hosts, oldest first.
const hourStart = Date.now() - 3_600_000;
for (let done = 0; done < storedEvents; ) {
  const batch: BootEvent[] = [];
  for (; batch.length < 5000 && done < storedEvents; done += 1) {
    const at = hourStart + Math.floor((done / storedEvents) * 3_600_000);
    const m = mac(done % hosts);
    batch.push(
      done % 3 === 0
        ? { kind: 'dhcp', at, mac: m, messageType: 'REQUEST', reply: 'ACK', yiaddr: '10.0.0.5', bootFile: 'pxelinux.0', arch: 0 }
        : { kind: 'tftp', at, mac: m, ip: '10.0.0.5', port: 2000, serverIp: '10.0.0.1', file: 'vmlinuz', outcome: done % 50 === 1 ? 'timeout' : 'complete', bytes: 1000, size: 1000, blksize: 1468, windowsize: 4, durationMs: 3, retransmits: 0, sendBufferFull: 0 },
    );
  }
  await store.events.appendEvents(batch);
}
// The browser is up before the server starts, so the first visit below can come as early as a real
// operator's would: the moment the server listens, with the machine index still reading the window.
const profile = mkdtempSync(join(tmpdir(), 'xenboot-bench-ui-'));
const browser = await launchChromium(profile);
const built = performance.now();
const h = await buildHarness({ store });
await h.app.listen({ host: '127.0.0.1', port: 0 });
const address = h.app.server.address();
const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
try {
  const page = await browser.newPage();
  await page.setViewportSize({ width: 1280, height: 800 });
  // Server just started: nothing cached, nothing bundled, the index still reading the stored window.
  const t00 = performance.now();
  await page.goto(`${base}/#/machines`);
  await page.locator('tr[data-mac]').first().waitFor({ timeout: 60_000 });
  const afterStart = performance.now() - t00;
  const startToRow = performance.now() - built;
  await page.context().clearCookies();
  const indexReadMs = startToRow;
  const firstScreen: number[] = [];
  const breakdown: string[] = [];
  for (let round = 0; round < 3; round += 1) {
    await page.goto('about:blank'); // every round is a full page load (the assets may come from the cache)
    const t0 = performance.now();
    await page.goto(`${base}/#/machines`);
    await page.locator('tr[data-mac]').first().waitFor({ timeout: 30_000 });
    firstScreen.push(performance.now() - t0);
    // Where the time went, as the page saw it: the page, its script, the machines request.
    const parts = (await page.evaluate(`performance.getEntries().filter((e) => /\\/$|main\\.js|api\\/v1\\/machines/.test(e.name)).map((e) => [e.name.replace(/^https?:\\/\\/[^/]+/, ''), Math.round(e.startTime), Math.round(e.duration)])`)) as Array<[string, number, number]>;
    breakdown.push(parts.map(([name, start, duration]) => `${name.split('?')[0]} at ${start} ms for ${duration} ms`).join('; '));
  }
  const timed = async (url: string) => {
    const times: number[] = [];
    for (let round = 0; round < 5; round += 1) {
      const t0 = performance.now();
      await h.app.inject({ url });
      times.push(performance.now() - t0);
    }
    return times;
  };
  const apiTimes = await timed('/api/v1/machines?limit=100');
  const overviewTimes = await timed('/api/v1/overview');
  // What each machines and overview request did before the index: read the stored window of events.
  const scanTimes: number[] = [];
  for (let round = 0; round < 3; round += 1) {
    const t0 = performance.now();
    await store.events.listEvents({ since: Date.now() - 24 * 3_600_000, limit: 200_000 });
    scanTimes.push(performance.now() - t0);
  }

  // Frame gaps and long tasks while the stream carries `rate` events a second.
  // A string, not a function: tsx would add helpers to a function's source that the page does not have.
  await page.evaluate(`(() => {
    window.gaps = [];
    window.longTasks = [];
    new PerformanceObserver((list) => list.getEntries().forEach((e) => window.longTasks.push(e.duration))).observe({ type: 'longtask' });
    let last = performance.now();
    const tick = (t) => { window.gaps.push(t - last); last = t; requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  })()`);
  const start = Date.now();
  let sent = 0;
  while (Date.now() - start < seconds * 1000) {
    const due = Math.floor(((Date.now() - start) / 1000) * rate);
    for (; sent < due; sent += 1) {
      const i = sent % 150; // the first page's machines and some beyond it
      const at = Date.now();
      const event: BootEvent =
        sent % 10 === 0
          ? { kind: 'dhcp', at, mac: mac(i), messageType: 'REQUEST', reply: 'ACK', yiaddr: '10.0.0.5', bootFile: 'pxelinux.0' }
          : { kind: 'tftp', at, mac: mac(i), ip: '10.0.0.5', port: 2000, serverIp: '10.0.0.1', file: `file${sent}`, outcome: 'complete', bytes: 1000, size: 1000, blksize: 1468, windowsize: 4, durationMs: 3, retransmits: 0, sendBufferFull: 0 };
      h.bus.emit(event);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, 500));
  const { gaps, longTasks } = (await page.evaluate('({ gaps: window.gaps, longTasks: window.longTasks })')) as { gaps: number[]; longTasks: number[] };
  const phase = await page.locator(`tr[data-mac="${mac(0)}"] .phase`).textContent();
  const sorted = [...gaps].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!.toFixed(1);
  console.log(`machines page, ${hosts} hosts in the store, ${storedEvents} events in the last hour`);
  console.log(`  first visit as the server starts (index reading, bundle built on demand): ${afterStart.toFixed(0)} ms; server start → first row ${indexReadMs.toFixed(0)} ms`);
  console.log(`  first screen (navigation → first row), three more visits, server warm: ${firstScreen.map((t) => `${t.toFixed(0)} ms`).join(', ')} (goal < 1000 ms)`);
  for (const [round, text] of breakdown.entries()) console.log(`    round ${round + 1}: ${text}`);
  console.log(`  GET /api/v1/machines?limit=100 in-process: ${apiTimes.map((t) => t.toFixed(0)).join(', ')} ms`);
  console.log(`  GET /api/v1/overview in-process: ${overviewTimes.map((t) => t.toFixed(0)).join(', ')} ms`);
  console.log(`  for comparison, one read of the stored window (each request's scan before the index): ${scanTimes.map((t) => t.toFixed(0)).join(', ')} ms`);
  console.log(`live stream: ${sent} events in ${seconds} s (${Math.round(sent / seconds)}/s)`);
  console.log(`  frames: ${gaps.length} (${(gaps.length / seconds).toFixed(0)}/s), gap median ${pct(0.5)} ms, p95 ${pct(0.95)} ms, max ${sorted[sorted.length - 1]!.toFixed(1)} ms`);
  console.log(`  long tasks (> 50 ms): ${longTasks.length}, longest ${Math.max(0, ...longTasks).toFixed(0)} ms, total ${longTasks.reduce((s, d) => s + d, 0).toFixed(0)} ms`);
  console.log(`  row of ${mac(0)} shows: ${phase}`);
} finally {
  await browser.close();
  await h.close();
  await store.close();
  rmSync(profile, { recursive: true, force: true });
}
