import { fileURLToPath } from 'node:url';
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../../../..', import.meta.url));

// The auth Worker's keyed-state machines inside workerd, on every backend: memory, Durable Objects (this folder's
// test Worker, SQLite-backed) and Redis through the real Upstash-protocol bridge to the machine's Redis (a fresh
// key prefix), which shared/state's global setup starts. The store conformance suite runs first on each, with the
// auth machines registered beside the test ones. Needs `npm run build` for the bridge.
export default defineConfig({
  root,
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: `${here}wrangler.toml` },
      miniflare: {
        bindings: {
          UPSTASH_REDIS_REST_URL: inject('redisRestUrl'),
          UPSTASH_REDIS_REST_TOKEN: inject('redisStateToken'),
          REDIS_KEY_PREFIX: inject('redisPrefix'),
        },
      },
    })),
  ],
  test: {
    include: ['workers/auth/test/keyed-state/**/*.test.ts'],
    globalSetup: [`${root}shared/state/test/global-setup.ts`],
    testTimeout: 30_000,
  },
});
