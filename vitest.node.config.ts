import { configDefaults, defineConfig } from 'vitest/config';

// Tests that run in Node against real servers: the data-plane bridges, and black-box tests of the Workers
// running under the real workerd binary (test/node), the security attack tests (test/node/security-*.test.ts)
// included. The Workers' own unit tests run inside workerd instead (workers/*/vitest.config.ts).
export default defineConfig({
  test: {
    include: ['dataplane/test/**/*.test.ts', 'test/node/**/*.test.ts'],
    exclude: [...configDefaults.exclude],
    environment: 'node',
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file starts its own platform; two cores do not gain from more parallel workerd processes.
    maxWorkers: 2,
  },
});
