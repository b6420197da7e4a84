import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup-env.ts'],
    pool: 'forks',
    // workflows run on a real server with durations in seconds; waits are on conditions
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
