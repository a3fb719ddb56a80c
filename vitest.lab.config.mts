import { defineConfig } from 'vitest/config';

// The comparison lab and the fault suite run alone, one file at a time,
// after the main suite: they measure timings, run 10 000 connections, and
// must not share the two cores with the other timing-sensitive tests.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts', 'test/lab/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 900_000,
  },
});
