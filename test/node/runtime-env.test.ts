/**
 * Each Worker declares its variables once (workers/<name>/src/env.ts). The scripts (workerd config generator,
 * `npm start`, `npm run k8s:check`) read that same declaration through scripts/lib/workers.mjs; this test checks
 * they see exactly what the Workers parse, with the same required/alias/per-Worker flags, and that no wrangler.toml [vars]
 * constant names a variable the Worker would not read.
 */
import { describe, expect, it } from 'vitest';
import {
  allWorkerVariables,
  platformEnvName,
  readWranglerConfig,
  singleWorkerEnv,
  WORKERS,
  workerVariables,
} from '../../scripts/lib/workers.mjs';
import { variables as admin } from '../../workers/admin/src/variables.js';
import { variables as auth } from '../../workers/auth/src/variables.js';
import { variables as monitor } from '../../workers/monitor/src/variables.js';
import { variables as policy } from '../../workers/policy/src/variables.js';

type Declared = Record<string, { required?: boolean; aliasOf?: string; perWorker?: boolean }>;

const declarations: Record<string, Declared> = {
  auth,
  policy,
  admin,
  monitor,
};

describe('environment variables are declared once per Worker', () => {
  for (const { name } of WORKERS) {
    it(`the scripts read exactly the ${name} Worker's declaration`, () => {
      const declared = declarations[name] as Declared;
      const seen = workerVariables(name);
      expect([...seen.keys()].sort()).toEqual(Object.keys(declared).sort());
      for (const [k, field] of Object.entries(declared)) {
        expect(seen.get(k), k).toEqual({
          required: Boolean(field.required),
          aliasOf: field.aliasOf,
          perWorker: Boolean(field.perWorker),
        });
      }
      const vars = Object.keys((readWranglerConfig(name) as { vars?: object }).vars ?? {});
      expect(vars.filter((v) => !seen.has(v))).toEqual([]);
    });
  }

  it('knows which variables have no default', () => {
    const required = (name: string) =>
      [...workerVariables(name)]
        .filter(([, v]) => v.required)
        .map(([k]) => k)
        .sort();
    const store = ['DATABASE_URL', 'UPSTASH_REDIS_REST_TOKEN', 'UPSTASH_REDIS_REST_URL'];
    expect(required('auth')).toEqual([...store, 'ISSUER', 'KEY_ENCRYPTION_KEY', 'CLIENT_CACHE_MAC_KEY'].sort());
    for (const name of ['policy', 'admin', 'monitor']) expect(required(name)).toEqual(store);
    expect(workerVariables('auth').get('RATE_LIMIT_BACKEND')).toEqual({
      required: false,
      aliasOf: 'STATE_BACKEND',
      perWorker: false,
    });
  });

  it('each Worker has its own Redis token: a per-Worker name in the one-process config, the plain name alone', () => {
    for (const { name } of WORKERS) {
      expect(workerVariables(name).get('UPSTASH_REDIS_REST_TOKEN')?.perWorker).toBe(true);
      expect(platformEnvName('UPSTASH_REDIS_REST_TOKEN', name)).toBe(`UPSTASH_REDIS_REST_TOKEN_${name.toUpperCase()}`);
      expect(platformEnvName('DATABASE_URL', name)).toBe('DATABASE_URL');
    }
    const platform = { DATABASE_URL: 'db', UPSTASH_REDIS_REST_TOKEN_AUTH: 'a', UPSTASH_REDIS_REST_TOKEN_POLICY: 'p' };
    expect(singleWorkerEnv(platform, 'policy')).toEqual({ DATABASE_URL: 'db', UPSTASH_REDIS_REST_TOKEN: 'p' });
  });

  it('npm start passes every declared variable through, REGISTRATION_TOKEN included', () => {
    const all = allWorkerVariables();
    for (const name of ['REGISTRATION_TOKEN', 'ALLOW_OPEN_REGISTRATION', 'STATE_BACKEND', 'POLICY_SET_ID']) {
      expect(all).toContain(name);
    }
  });
});
