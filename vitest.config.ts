import { defineConfig } from 'vitest/config';

// Suites in test/ start real processes (etcd, registries, containers); they get generous
// timeouts and run in separate forked workers so one suite's processes never share a
// worker's memory with another's.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    pool: 'forks',
    // Most suites wait on real processes (etcd, registries, containers) rather than burn
    // CPU, so two files at a time on a 2-core machine halves the wall time.
    maxWorkers: 2,
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    reporters: ['default'],
  },
});
