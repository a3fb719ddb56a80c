import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The comparison lab and the fault suite have their own run (vitest.lab.config.mts).
    exclude: ['test/lab/**', 'test/faults/**', 'node_modules/**'],
    // Separate processes: native addon, real sockets and child processes.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    teardownTimeout: 15_000,
  },
});
