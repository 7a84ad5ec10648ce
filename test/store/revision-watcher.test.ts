import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { watchInventoryRevision } from '../../src/store/revision-watcher.js';
import type { Store } from '../../src/store/types.js';
import { backends } from './backends.js';

describe.each(backends)('inventory revision watcher ($name)', (backend) => {
  let first: Store;
  let second: Store;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    const opened = await backend.open();
    first = opened.store;
    cleanup = opened.cleanup;
    second = await opened.reopen();
  });
  afterEach(async () => {
    await cleanup();
  });

  it('tells one instance about a change another instance made, once per change', async () => {
    let changes = 0;
    const stop = watchInventoryRevision({ inventory: first.inventory, intervalMs: 20, onChange: async () => void (changes += 1), logger: silentLogger() });
    try {
      await new Promise((r) => setTimeout(r, 60));
      expect(changes).toBe(0);
      await second.inventory.apply([{ op: 'create', kind: 'groups', doc: { name: 'g1' } }]);
      const deadline = Date.now() + 3_000;
      while (changes === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(changes).toBe(1);
      await new Promise((r) => setTimeout(r, 100));
      expect(changes).toBe(1);
    } finally {
      stop();
    }
  });

  it("does not reload for a write the live inventory already holds (this instance's own), and does for the next one", async () => {
    let changes = 0;
    let held = await first.inventory.revision();
    const stop = watchInventoryRevision({
      inventory: first.inventory,
      intervalMs: 20,
      onChange: async () => void (changes += 1),
      isCurrent: (revision) => revision <= held,
      logger: silentLogger(),
    });
    try {
      await new Promise((r) => setTimeout(r, 60));
      held = await first.inventory.apply([{ op: 'create', kind: 'groups', doc: { name: 'own' } }]);
      await new Promise((r) => setTimeout(r, 150));
      expect(changes).toBe(0);
      await second.inventory.apply([{ op: 'create', kind: 'groups', doc: { name: 'other' } }]);
      const deadline = Date.now() + 3_000;
      while (changes === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(changes).toBe(1);
    } finally {
      stop();
    }
  });
});
