import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Model generation on first use and ORT sessions take seconds on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    globalSetup: ['test/global-setup.ts'],
    // Tests share generated model dirs; building them once in global setup keeps workers apart.
    pool: 'forks',
  },
});
