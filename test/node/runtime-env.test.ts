/**
 * The workerd config generator (scripts/lib/workerd-config.mjs) binds only the runtime variables listed in
 * scripts/lib/workers.mjs, a plain-JS copy of the names the Workers' TypeScript config specs read. A name missing
 * there would silently never reach the Worker off Cloudflare, so this test keeps the two in step both ways.
 */
import { describe, expect, it } from 'vitest';
import { COMMON_RUNTIME_ENV, readWranglerConfig, WORKER_RUNTIME_ENV } from '../../scripts/lib/workers.mjs';
import { commonSpec } from '../../shared/env.js';
import { authSpec } from '../../workers/auth/src/config.js';
import { RATE_LIMIT_VARIABLES } from '../../workers/auth/src/domain/rate-limit-config.js';
import { policySpec } from '../../workers/policy/src/config.js';

const readByWorker: Record<string, string[]> = {
  auth: [...Object.keys(authSpec), ...RATE_LIMIT_VARIABLES],
  policy: Object.keys(policySpec),
  admin: [],
  monitor: [],
};

describe('runtime variables reach the Workers under workerd', () => {
  it('lists every variable of the shared spec as common', () => {
    expect([...COMMON_RUNTIME_ENV].sort()).toEqual(Object.keys(commonSpec).sort());
  });

  for (const [worker, declared] of Object.entries(readByWorker)) {
    let names = declared;
    it(`binds every variable the ${worker} Worker reads, and nothing it does not`, () => {
      const wrangler = readWranglerConfig(worker) as { vars?: object; services?: { binding: string }[] };
      const vars = Object.keys(wrangler.vars ?? {});
      // shared/policy-client.ts, used by every Worker bound to POLICY, reads the policy API token from the env.
      if (wrangler.services?.some((s) => s.binding === 'POLICY')) names = [...names, 'POLICY_API_TOKEN'];
      const bound = new Set([
        ...COMMON_RUNTIME_ENV,
        ...WORKER_RUNTIME_ENV[worker as keyof typeof WORKER_RUNTIME_ENV],
        ...vars,
      ]);
      const missing = names.filter((n) => !bound.has(n));
      expect(missing, `not bound for ${worker}`).toEqual([]);
      const read = new Set([...Object.keys(commonSpec), ...names]);
      const unused = WORKER_RUNTIME_ENV[worker as keyof typeof WORKER_RUNTIME_ENV].filter((n: string) => !read.has(n));
      expect(unused, `listed for ${worker} but read by no spec`).toEqual([]);
    });
  }
});
