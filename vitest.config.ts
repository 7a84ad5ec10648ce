import { defineConfig } from 'vitest/config';

/**
 * `npm test`: every test but the slow end-to-end boots (`*.slow.test.ts`, run by `npm run test:slow`,
 * see vitest.slow.config.ts). Both run in CI.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/**/*.slow.test.ts', '**/node_modules/**'],
    globalSetup: ['test/global-setup.ts'],
    // Real-client tests start processes and namespaces; give them room, but keep every wait bounded.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: more workers only add contention to the timing-sensitive protocol tests.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
