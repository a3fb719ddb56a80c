import { defineConfig } from 'vitest/config';

// The suites that measure time or load the machine run alone, one file at a
// time, after the parallel suite: timing tests (tens of milliseconds of
// slack, real dead peers in namespaces), the fault suite (10 000
// connections, hostile peers measured by RSS) and the comparison lab. On two
// cores, beside the fuzzer or a native build, their timings would not hold.
export default defineConfig({
  test: {
    include: ['test/timing/**/*.test.ts', 'test/faults/**/*.test.ts', 'test/lab/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 900_000,
  },
});
