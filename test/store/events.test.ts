import { describe, expect, it } from 'vitest';
import type { BootEvent, DhcpExchangeEvent, HttpFetchEvent } from '../../src/timeline/types.js';
import type { Store } from '../../src/store/types.js';
import { backends, freshStoreEach } from './backends.js';

const MAC = '52:54:00:00:00:01';
const OTHER = '52:54:00:00:00:02';

function dhcp(at: number, mac: string, messageType = 'DISCOVER'): DhcpExchangeEvent {
  return { kind: 'dhcp', at, mac, messageType, reply: 'OFFER', yiaddr: '10.204.0.5', reason: 'pool' };
}
function http(at: number, ip: string): HttpFetchEvent {
  return { kind: 'http', at, ip, method: 'GET', path: '/vmlinuz', status: 200, bytes: 10, durationMs: 1 };
}

describe.each(backends)('event store ($name)', (backend) => {
  let store: Store;
  freshStoreEach(backend, (opened) => (store = opened));

  it('returns a machine’s events in time order (insertion order on ties), whole and filtered', async () => {
    const events: BootEvent[] = [dhcp(1000, MAC, 'DISCOVER'), dhcp(1000, MAC, 'REQUEST'), dhcp(900, OTHER), http(1100, '10.204.0.5')];
    await store.events.appendEvents(events.slice(0, 3));
    await store.events.appendEvent(events[3]!);
    await store.events.appendEvent({ ...dhcp(950, MAC, 'INFORM') });
    const timeline = await store.events.listEvents({ mac: MAC });
    expect(timeline.map((e) => [e.at, (e as DhcpExchangeEvent).messageType])).toEqual([
      [950, 'INFORM'],
      [1000, 'DISCOVER'],
      [1000, 'REQUEST'],
    ]);
    expect(timeline[1]).toEqual(events[0]);
    expect(await store.events.listEvents({ ip: '10.204.0.5' })).toEqual([events[3]]);
    expect((await store.events.listEvents({ since: 1000 })).length).toBe(3);
    // `limit` keeps the newest, still oldest first.
    expect((await store.events.listEvents({ mac: MAC, limit: 2 })).map((e) => (e as DhcpExchangeEvent).messageType)).toEqual(['DISCOVER', 'REQUEST']);
  });

  it('prunes by age and keeps only the newest N per machine', async () => {
    const many = Array.from({ length: 30 }, (_, i) => dhcp(10_000 + i, MAC));
    await store.events.appendEvents([...many, dhcp(500, OTHER), dhcp(20_000, OTHER), http(20_000, '10.204.0.9'), http(20_001, '10.204.0.9')]);
    const removed = await store.events.pruneEvents({ before: 1_000, keepPerMachine: 10 });
    expect(removed).toBe(1 + 20 + 0);
    const kept = await store.events.listEvents({ mac: MAC });
    expect(kept.map((e) => e.at)).toEqual(Array.from({ length: 10 }, (_, i) => 10_020 + i));
    expect((await store.events.listEvents({ mac: OTHER })).map((e) => e.at)).toEqual([20_000]);
    expect((await store.events.listEvents({ ip: '10.204.0.9' })).length).toBe(2);
  });

  it('stores a large batch in order', async () => {
    const batch = Array.from({ length: 1200 }, (_, i) => dhcp(i, MAC));
    await store.events.appendEvents(batch);
    const back = await store.events.listEvents({ mac: MAC, limit: 5000 });
    expect(back.length).toBe(1200);
    expect(back.every((e, i) => e.at === i)).toBe(true);
  });
});
