import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Timing, fault and lab suites run alone afterwards (vitest.serial.config.mts).
    exclude: ['test/timing/**', 'test/faults/**', 'test/lab/**', 'node_modules/**'],
    // Separate processes: native addon, real sockets and child processes.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    teardownTimeout: 15_000,
  },
});
