/**
 * shared/policy-client.ts fails closed: only a 200 with a well-formed decision is a decision. Driven against
 * a stand-in that answers like a broken policy service (ODD_POLICY), and against the real policy Worker
 * (SELF), whose store is unreachable here.
 */
import { createExecutionContext, env, SELF, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { adminRequestOf, authorizeAdmin } from '../../../shared/admin/authorize.js';
import { AdminCredentials } from '../../../shared/admin/credentials.js';
import { adminPrincipalEntity } from '../../../shared/admin/entity.js';
import { type BaseServices, createServiceApp } from '../../../shared/app.js';
import { type CommonBindings, readCommonConfig } from '../../../shared/env.js';
import { createDependencies } from '../../../shared/dependencies.js';
import { redisEventSink } from '../../../shared/events/sink.js';
import {
  authorize,
  parseDecision,
  type PolicyDecision,
  PolicyUnavailableError,
  remotePolicyDecider,
} from '../../../shared/policy-client.js';

const odd = (env as unknown as { ODD_POLICY: Fetcher }).ODD_POLICY;
const input = {
  principal: { type: 'Admin', id: 'alice' },
  action: 'Admin::keys_rotate',
  resource: { type: 'AdminEndpoint', id: 'keys' },
};
const opts = (requestId: string, timeoutMs = 500) => ({ identity: { requestId }, timeoutMs });

describe('authorize()', () => {
  it('returns Allow and Deny decisions', async () => {
    expect((await authorize(odd, input, opts('allow'))).decision).toBe('Allow');
    const deny = await authorize(odd, input, opts('deny'));
    expect(deny).toMatchObject({ decision: 'Deny', policy_version: 3, reasons: [] });
  });

  it.each(['lowercase', 'no-version', 'not-json', 'http-500', 'http-400'])(
    '%s → PolicyUnavailableError',
    async (id) => {
      await expect(authorize(odd, input, opts(id))).rejects.toBeInstanceOf(PolicyUnavailableError);
    },
  );

  it('a slow policy service → PolicyUnavailableError within the timeout', async () => {
    const started = Date.now();
    await expect(authorize(odd, input, opts('slow', 200))).rejects.toThrow(/no answer within 200 ms/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('no binding → PolicyUnavailableError', async () => {
    await expect(authorize(undefined, input, opts('allow'))).rejects.toBeInstanceOf(PolicyUnavailableError);
  });

  it('sends the POLICY_API_TOKEN as a bearer token', async () => {
    const d = await authorize(odd, input, { ...opts('token'), token: 'secret-token-value-123' });
    expect(d.reasons).toEqual(['Bearer secret-token-value-123']);
  });

  it('against the real policy Worker: no token → 401 → unavailable; store down → 503 → unavailable', async () => {
    await expect(authorize(SELF, input, opts('real-1'))).rejects.toThrow(/HTTP 401/);
    await expect(
      authorize(SELF, input, { ...opts('real-2', 5000), token: 'policy-api-token-for-unit-tests' }),
    ).rejects.toThrow(/HTTP 503/);
  });

  it('parseDecision refuses anything but Allow/Deny with a version', () => {
    expect(() => parseDecision({ decision: 'Allow', policy_version: 1, reasons: [], errors: [] })).not.toThrow();
    for (const bad of [
      null,
      [],
      { decision: 'ALLOW', policy_version: 1, reasons: [], errors: [] },
      { decision: 'Allow', policy_version: '1', reasons: [], errors: [] },
      { decision: 'Allow', policy_version: 1, reasons: [1], errors: [] },
      { decision: 'Allow', policy_version: 1, reasons: [] },
    ]) {
      expect(() => parseDecision(bad)).toThrow(PolicyUnavailableError);
    }
  });
});

describe('adminPrincipalEntity()', () => {
  it('carries roles and only the known, well-typed attributes', () => {
    expect(
      adminPrincipalEntity({
        id: 'alice',
        roles: ['secops', 'secops', 'readonly'],
        attributes: { mfa_verified: true, clearance: 'high', department: 7, favourite_colour: 'blue' },
      }),
    ).toEqual({
      uid: { type: 'Admin', id: 'alice' },
      attrs: { roles: ['secops', 'readonly'], mfa_verified: true, clearance: 'high' },
    });
  });
});

describe('authorizeAdmin() with the policy Worker as decider', () => {
  type B = CommonBindings & { POLICY?: Fetcher; ADMIN_BOOTSTRAP_TOKEN?: string };
  const BOOTSTRAP = 'bootstrap-token-for-unit-tests';
  const { app } = createServiceApp<B, BaseServices & { admin: Parameters<typeof authorizeAdmin<PolicyDecision>>[0] }>({
    service: 'admin',
    buildServices(b) {
      const config = readCommonConfig(b);
      const deps = createDependencies(config, 'admin');
      const events = redisEventSink(deps.redis, 'admin');
      const decider = remotePolicyDecider(b.POLICY, { token: undefined, timeoutMs: config.SERVICE_TIMEOUT_MS });
      return { config, deps, admin: { credentials: new AdminCredentials(deps, BOOTSTRAP), decider, events } };
    },
  });
  app.post('/guarded', async (c) => {
    await authorizeAdmin(c.get('services').admin, adminRequestOf(c), 'Admin_keys_rotate', {
      type: 'AdminEndpoint',
      id: 'keys',
    });
    return c.json({ ok: true });
  });
  const bindings = (policy: Fetcher | undefined): B => ({
    DATABASE_URL: 'postgres://postgres@127.0.0.1:9/none',
    UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9',
    UPSTASH_REDIS_REST_TOKEN: 'unused',
    SERVICE_TIMEOUT_MS: '300',
    LOG_REQUESTS: 'false',
    POLICY: policy,
  });
  const call = async (
    requestId: string,
    policy: { binding: Fetcher | undefined } = { binding: odd },
    authorization = `Bearer ${BOOTSTRAP}`,
  ) => {
    const ctx = createExecutionContext();
    const headers = { 'x-request-id': requestId, authorization };
    const res = await app.request('/guarded', { method: 'POST', headers }, bindings(policy.binding), ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };

  it('Allow → the handler runs', async () => {
    expect((await call('allow')).status).toBe(200);
  });

  it('Deny → 403 problem', async () => {
    const res = await call('deny');
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: 'ERR_FORBIDDEN' });
  });

  it.each(['lowercase', 'not-json', 'http-500', 'slow'])('%s → 503 problem', async (id) => {
    const res = await call(id);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: 'ERR_DEPENDENCY_UNAVAILABLE' });
  });

  it('no policy binding → 503', async () => {
    expect((await call('allow', { binding: undefined })).status).toBe(503);
  });

  it('no admin credential → 401 before the policy Worker is asked', async () => {
    const res = await call('allow', { binding: odd }, '');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="admin"');
  });
});
