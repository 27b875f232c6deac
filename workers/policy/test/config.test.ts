import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../shared/config.js';
import { readPolicyConfig } from '../src/env.js';

const base = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:9/none',
  UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9',
  UPSTASH_REDIS_REST_TOKEN: 'unused',
};

describe('POLICY_API_TOKEN outside Cloudflare', () => {
  it('is optional on Cloudflare (service bindings only: no RUNTIME binding)', () => {
    expect(readPolicyConfig({ ...base }).POLICY_API_TOKEN).toBeUndefined();
  });

  it('is required wherever the generated configs or npm run dev set RUNTIME', () => {
    for (const RUNTIME of ['workerd', 'wrangler-dev']) {
      let caught: unknown;
      try {
        readPolicyConfig({ ...base, RUNTIME });
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).variable).toBe('POLICY_API_TOKEN');
      const token = 'a-policy-api-token-of-some-length';
      expect(readPolicyConfig({ ...base, RUNTIME, POLICY_API_TOKEN: token }).POLICY_API_TOKEN).toBe(token);
    }
  });
});
