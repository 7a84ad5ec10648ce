/**
 * One boot lab shared by every case of a test file: built in the file's `beforeAll`, its lab closed in
 * `afterAll`. The UEFI and network-root cases use it through `useUefiLab` and `useNetrootLab`.
 */
import { afterAll, beforeAll } from 'vitest';
import type { BootLab } from '../../lab/qemu/boot-lab.js';

/**
 * Registers the file's `beforeAll` (`setUp`, within `setUpTimeoutMs`) and `afterAll`; returns what a case
 * calls to get the lab, which throws, naming `what`, when `setUp` failed.
 */
export function useSharedLab<T extends { lab: BootLab }>(what: string, setUp: () => Promise<T>, setUpTimeoutMs: number): () => T {
  let ready: T | undefined;
  beforeAll(async () => {
    ready = await setUp();
  }, setUpTimeoutMs);
  afterAll(async () => {
    await ready?.lab.close();
  }, 60_000);
  return () => {
    if (!ready) throw new Error(`the ${what} lab is not set up (its beforeAll failed)`);
    return ready;
  };
}
