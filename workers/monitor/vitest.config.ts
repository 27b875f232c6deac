import { fileURLToPath } from 'node:url';
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

const here = fileURLToPath(new URL('.', import.meta.url));

// The monitor Worker's unit tests, inside workerd with the Worker's own wrangler.toml: the pure detection,
// alerting and webhook modules (including the Standard Webhooks library running in the Workers runtime).
// Nothing listens on port 9, so an accidental I/O fails loudly.
export default defineConfig({
  root: here,
  plugins: [
    cloudflareTest({
      wrangler: { configPath: `${here}wrangler.toml` },
      miniflare: {
        bindings: {
          ENVIRONMENT: 'test',
          LOG_REQUESTS: 'false',
          DATABASE_URL: 'postgres://postgres@127.0.0.1:9/none',
          UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9',
          UPSTASH_REDIS_REST_TOKEN: 'unused',
        },
      },
    }),
  ],
  test: { include: ['test/**/*.test.ts'] },
});
