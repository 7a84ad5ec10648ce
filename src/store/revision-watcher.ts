/**
 * Notices inventory changes made by another xenboot instance sharing the store (PostgreSQL, or one SQLite
 * file): polls the store's inventory revision and calls `onChange` when it moved past what the live
 * inventory already holds. Changes made through this instance's own API are applied at once, and are
 * not read again here.
 */
import type { Logger } from '../log.js';
import type { InventoryStore } from './types.js';

/** Starts polling; returns the function that stops it. */
export function watchInventoryRevision(options: {
  inventory: InventoryStore;
  intervalMs: number;
  onChange: () => Promise<void>;
  /** True when the live inventory already holds `revision` (this instance's own write): no reload. */
  isCurrent?: (revision: number) => boolean;
  logger: Logger;
}): () => void {
  let last: number | null = null;
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const revision = await options.inventory.revision();
      if (last !== null && revision !== last && !(options.isCurrent?.(revision) ?? false)) {
        await options.onChange();
        options.logger.info({ revision }, 'inventory changed in the store; reloaded');
      }
      last = revision;
    } catch (error) {
      options.logger.warn({ err: error }, 'could not read the inventory revision');
    } finally {
      running = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), options.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
