// What the Workers' unit-test configurations (workers/*/vitest.config.ts) share: tests inside workerd with the
// Worker's own wrangler.toml and a data plane nobody listens on (port 9, so an accidental store access fails loudly).
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { configDefaults, defineConfig } from 'vitest/config';

type PoolOptions = NonNullable<Parameters<typeof cloudflareTest>[0]>;
type Miniflare = NonNullable<Extract<PoolOptions, { miniflare?: unknown }>['miniflare']>;

const UNREACHABLE_DATA_PLANE = {
  ENVIRONMENT: 'test',
  LOG_REQUESTS: 'false',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:9/none',
  UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9',
  UPSTASH_REDIS_REST_TOKEN: 'unused',
};

export function workerTestConfig(opts: {
  root: string;
  wranglerConfig: string;
  bindings: Record<string, string>;
  /** Stand-ins for the other services the Worker binds. */
  workers?: Record<string, unknown>[];
  serviceBindings?: Record<string, string>;
  include: string[];
  /** Test files under `include` that another configuration runs (they need bindings this one does not give). */
  exclude?: string[];
  testTimeout?: number;
}) {
  const miniflare = {
    bindings: { ...UNREACHABLE_DATA_PLANE, ...opts.bindings },
    serviceBindings: opts.serviceBindings,
    workers: opts.workers ?? [],
  } as Miniflare;
  return defineConfig({
    root: opts.root,
    plugins: [cloudflareTest({ wrangler: { configPath: opts.wranglerConfig }, miniflare })],
    test: {
      include: opts.include,
      exclude: [...configDefaults.exclude, ...(opts.exclude ?? [])],
      testTimeout: opts.testTimeout,
    },
  });
}
