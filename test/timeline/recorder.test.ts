import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/timeline/bus.js';
import type { BootEvent } from '../../src/timeline/types.js';
import { silentLogger } from '../../src/log.js';
import { defaultEventRetention } from '../../src/store/config.js';
import { EventEnricher } from '../../src/timeline/enricher.js';
import { EventRecorder } from '../../src/timeline/recorder.js';
import type { EventLog } from '../../src/store/types.js';

const dhcp = (at: number): BootEvent => ({ kind: 'dhcp', at, mac: '52:54:00:00:00:01', messageType: 'DISCOVER', reply: 'OFFER' });

function log(fail: boolean, written: BootEvent[][]): EventLog {
  return {
    async appendEvent() {},
    async appendEvents(events) {
      if (fail) throw new Error('disk full');
      written.push(events);
    },
    async listEvents() {
      return [];
    },
    async pruneEvents() {
      throw new Error('disk full');
    },
  };
}

describe('event recorder', () => {
  it('writes events in batches, in order, and what is pending on close', async () => {
    const bus = new EventBus();
    const written: BootEvent[][] = [];
    const recorder = new EventRecorder({ bus, events: log(false, written), enricher: new EventEnricher(), retention: defaultEventRetention, logger: silentLogger(), flushIntervalMs: 60_000 });
    recorder.start();
    for (let i = 0; i < 5; i += 1) bus.emit(dhcp(i));
    expect(written).toEqual([]);
    await recorder.close();
    expect(written.flat().map((e) => e.at)).toEqual([0, 1, 2, 3, 4]);
    expect(written.length).toBe(1);
    bus.emit(dhcp(9));
    await recorder.flush();
    expect(written.flat().length).toBe(5);
  });

  it('a failing store never reaches the producer: the batch is counted as dropped and retention errors are swallowed', async () => {
    const bus = new EventBus();
    const recorder = new EventRecorder({ bus, events: log(true, []), enricher: new EventEnricher(), retention: defaultEventRetention, logger: silentLogger(), flushIntervalMs: 5 });
    recorder.start();
    const seen: BootEvent[] = [];
    recorder.subscribe((e) => seen.push(e));
    recorder.subscribe(() => {
      throw new Error('broken listener');
    });
    expect(() => bus.emit(dhcp(1))).not.toThrow();
    await recorder.flush();
    expect(recorder.dropped).toBe(1);
    expect(seen.length).toBe(1);
    expect(bus.listenerFailures).toBe(0);
    expect(await recorder.prune()).toBe(0);
    await recorder.close();
  });

  it('bounds the queue: beyond maxPending events are dropped and counted', async () => {
    const bus = new EventBus();
    const written: BootEvent[][] = [];
    const recorder = new EventRecorder({ bus, events: log(false, written), enricher: new EventEnricher(), retention: defaultEventRetention, logger: silentLogger(), flushIntervalMs: 60_000, maxPending: 3 });
    recorder.start();
    for (let i = 0; i < 5; i += 1) bus.emit(dhcp(i));
    await recorder.close();
    expect(written.flat().length).toBe(3);
    expect(recorder.dropped).toBe(2);
  });
});
