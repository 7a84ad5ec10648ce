import { defineConfig } from 'vitest/config';

/**
 * `npm run test:slow`: the end-to-end boots that take minutes each (QEMU under TCG, a real Xen toolstack,
 * network roots, UEFI paths, a BMC). One at a time: each one alone already keeps both cores busy.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.slow.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 900_000,
    hookTimeout: 900_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 1, minForks: 1 } },
    fileParallelism: false,
  },
});
