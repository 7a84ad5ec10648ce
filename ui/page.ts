/** What a page gets from the shell, and what it gives back. */
import type { BootEvent } from '../src/timeline/types.js';

/** The shell's services for a page. */
export interface PageContext {
  /** Subscribes to the live events while the page is shown. */
  onEvent(listener: (event: BootEvent) => void): void;
  /** Shows an error in the banner (a slow or broken server, a refusal). */
  fail(error: unknown): void;
  /** Shows a short notice in the banner. */
  info(text: string): void;
  /** Clears the banner. */
  clear(): void;
}

/** A mounted page. */
export interface Page {
  unmount?(): void;
}

/**
 * Calls `load` now and again whenever `poke` is called, at most once every `minMs` (a burst of live
 * events becomes one reload), and every `everyMs` when given. Errors go to `ctx.fail`; a success clears
 * the banner.
 */
export function reloader(ctx: PageContext, load: () => Promise<void>, minMs = 1000, everyMs?: number): { poke(): void; stop(): void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last = 0;
  let running = false;
  let again = false;
  let stopped = false;
  const run = async () => {
    timer = null;
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    last = performance.now();
    try {
      await load();
      ctx.clear();
    } catch (error) {
      ctx.fail(error);
    } finally {
      running = false;
      if (again) {
        again = false;
        poke();
      }
    }
  };
  const poke = () => {
    if (timer || stopped) return;
    timer = setTimeout(run, Math.max(0, minMs - (performance.now() - last)));
  };
  const interval = everyMs ? setInterval(poke, everyMs) : null;
  void run();
  return {
    poke,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (interval) clearInterval(interval);
    },
  };
}
