import { afterEach, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import type { Store } from '../../src/store/types.js';
import { dropSchema, ensurePostgres, testPostgresUrl, uniqueSchema } from './backends.js';

describe('heartbeats (PostgreSQL, the DHCP two-instance mode)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('each beat bumps its own counter and returns every instance’s row, seen alike by a second handle', async () => {
    await ensurePostgres();
    const schema = uniqueSchema();
    cleanups.push(() => dropSchema(schema));
    const open = async (): Promise<Store> => {
      const store = await openPostgresStore({ url: testPostgresUrl, schema, poolSize: 2 });
      cleanups.push(() => store.close());
      return store;
    };
    const [a, b] = [await open(), await open()];
    expect(await a.heartbeats!.beat('a', 1000)).toEqual([{ name: 'a', beats: 1, at: 1000 }]);
    const seenByB = await b.heartbeats!.beat('b', 1001);
    expect(seenByB.sort((x, y) => x.name.localeCompare(y.name))).toEqual([
      { name: 'a', beats: 1, at: 1000 },
      { name: 'b', beats: 1, at: 1001 },
    ]);
    // Beats from both at once: every one counted.
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).heartbeats!.beat(i % 2 === 0 ? 'a' : 'b', 2000 + i)));
    const rows = await a.heartbeats!.beat('a', 3000);
    expect(Object.fromEntries(rows.map((r) => [r.name, r.beats]))).toEqual({ a: 12, b: 11 });
  });
});
