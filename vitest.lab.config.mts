import { defineConfig } from 'vitest/config';

// The comparison lab runs alone, after the main suite: it measures timings
// and must not share the two cores with the other timing-sensitive tests.
export default defineConfig({
  test: {
    include: ['test/lab/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 900_000,
  },
});
