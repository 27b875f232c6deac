import { fileURLToPath } from 'node:url';
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));

// The keyed-state store inside workerd: the conformance suite on the memory store, on Durable Objects (the test
// Worker's StateObject, SQLite-backed) and on Redis through the real Upstash-protocol bridge, which the global
// setup starts in Node (the machine's Redis, a fresh key prefix). Needs `npm run build` for the bridge.
export default defineConfig({
  root,
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: `${here}test/wrangler.toml` },
      miniflare: {
        bindings: {
          UPSTASH_REDIS_REST_URL: inject('redisRestUrl'),
          UPSTASH_REDIS_REST_TOKEN: inject('redisStateToken'),
          REDIS_KEY_PREFIX: inject('redisPrefix'),
          HANGING_URL: inject('hangingUrl'),
        },
      },
    })),
  ],
  test: {
    include: ['shared/state/test/**/*.test.ts'],
    globalSetup: [`${here}test/global-setup.ts`],
    testTimeout: 30_000,
  },
});
