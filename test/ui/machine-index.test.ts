/**
 * The machine index: what it reads from the store at start, what it takes from the recorder after, and
 * that an event taken twice (the start-up read crossing a live event, a shared store read back) changes
 * nothing. The overview tally it feeds counts per minute and keeps the newest transfers and failures.
 */
import { describe, expect, it } from 'vitest';
import { activityOf, foldSeen, MachineIndex, SEEN_WINDOW_MS } from '../../src/http/ui/machine-index.js';
import { OverviewTally } from '../../src/http/ui/overview-tally.js';
import { EventBus } from '../../src/timeline/bus.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { BootEvent } from '../../src/timeline/types.js';

const MAC = '52:54:00:ee:00:01';
const dhcp = (at: number, extra: Partial<BootEvent> = {}): BootEvent => ({ kind: 'dhcp', at, mac: MAC, messageType: 'DISCOVER', reply: 'OFFER', arch: 7, vendorClass: 'PXEClient', ...extra }) as BootEvent;
const tftp = (at: number, outcome: 'complete' | 'timeout'): BootEvent => ({ kind: 'tftp', at, mac: MAC, ip: '10.0.0.5', port: 2000, serverIp: '10.0.0.1', file: 'vmlinuz', outcome, bytes: 10, size: 10, blksize: 512, windowsize: 1, durationMs: 5, retransmits: 0, sendBufferFull: 0 });

describe('machine index', () => {
  it('folds events by time whatever their order, and the same event twice changes nothing', () => {
    const events = [dhcp(1000), tftp(2000, 'complete'), dhcp(3000, { arch: 0, vendorClass: undefined } as Partial<BootEvent>), tftp(2500, 'timeout')];
    const forward = events.reduce<ReturnType<typeof foldSeen> | undefined>((e, ev) => foldSeen(e, ev), undefined)!;
    const backward = [...events].reverse().reduce<ReturnType<typeof foldSeen> | undefined>((e, ev) => foldSeen(e, ev), undefined)!;
    const twice = [...events, ...events].reduce<ReturnType<typeof foldSeen> | undefined>((e, ev) => foldSeen(e, ev), undefined)!;
    for (const entry of [forward, backward, twice]) {
      expect(entry).toMatchObject({ first: 1000, fetchedAt: 2000, dhcpAt: 3000, arch: 0 });
      expect(entry.last.at).toBe(3000);
    }
    // Nothing within the window: no activity.
    expect(activityOf(forward, 3000 + SEEN_WINDOW_MS + 1)).toEqual({ fetched: false });
    expect(activityOf(forward, 4000)).toMatchObject({ fetched: true, last: { at: 3000 } });
  });

  it('reads the stored window once at start and then follows the recorder', async () => {
    const store = openSqliteStore(':memory:');
    const now = Date.now();
    await store.events.appendEvents([dhcp(now - 2 * SEEN_WINDOW_MS), dhcp(now - 5000), tftp(now - 4000, 'complete')]);
    const bus = new EventBus();
    const recorder = { subscribe: (listener: (e: BootEvent) => void) => bus.subscribe(listener) };
    let reads = 0;
    const events = { ...store.events, listEvents: async (q: Parameters<typeof store.events.listEvents>[0]) => ((reads += 1), store.events.listEvents(q)) };
    const index = new MachineIndex({ events, recorder });
    const seen = await index.machines();
    expect(seen.get(MAC)).toMatchObject({ first: now - 5000, fetchedAt: now - 4000 });
    bus.emit(tftp(now - 100, 'timeout'));
    expect((await index.machines()).get(MAC)!.last).toMatchObject({ kind: 'tftp', outcome: 'timeout' });
    expect(reads).toBe(1);
    expect(index.overview.figures(now).recentErrors).toHaveLength(1);
    index.stop();
    bus.emit(dhcp(now));
    expect((await index.machines()).get(MAC)!.last.at).toBe(now - 100);
    await store.close();
  });

  it('with a shared store, reads what others wrote and counts an event read back only once', async () => {
    const store = openSqliteStore(':memory:');
    const now = Date.now();
    const bus = new EventBus();
    const index = new MachineIndex({ events: store.events, recorder: { subscribe: (l) => bus.subscribe(l) }, pollMs: 60_000 });
    await index.start();
    const mine = { ...dhcp(now - 1000), reply: 'ACK', bootFile: 'pxelinux.0' } as BootEvent;
    bus.emit(mine);
    const theirs = { ...mine, at: now - 900, mac: '52:54:00:ee:00:02' } as BootEvent;
    await store.events.appendEvents([mine, theirs]);
    await index.poll();
    await index.poll();
    const boots = index.overview.figures(now).perMinute.reduce((s, m) => s + m.boots, 0);
    expect(boots).toBe(2);
    expect((await index.machines()).has('52:54:00:ee:00:02')).toBe(true);
    index.stop();
    await store.close();
  });

  it('tallies at most the newest transfers and failures, and forgets minutes older than the hour', () => {
    const tally = new OverviewTally();
    const now = 10 * 3_600_000;
    for (let i = 0; i < 200; i += 1) tally.add({ ...tftp(now - 30_000 + i, 'timeout') }, now);
    tally.add(tftp(now - 2 * 3_600_000, 'timeout'), now);
    const f = tally.figures(now);
    expect(f.transfers).toHaveLength(50);
    expect(f.transfers[0]!.at).toBe(now - 30_000 + 199);
    expect(f.recentErrors).toHaveLength(20);
    expect(f.perMinute.reduce((s, m) => s + m.failures, 0)).toBe(200);
    expect(tally.figures(now + 3_600_000).perMinute.reduce((s, m) => s + m.failures, 0)).toBe(0);
  });
});
