import { createExecutionContext, env, runInDurableObject, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createServiceApp } from '../../../shared/app.js';
import type { RateLimiter } from '../../../shared/rate-limit/durable-objects/rate-limiter.js';
import type { RateLimiterNamespace } from '../../../shared/rate-limit/storage/durable-object.js';
import type { Env } from '../src/env.js';
import type { RateLimitedEndpoint } from '../src/rate-limit/domain/limits.js';
import { chargeFailedAuthentication, enforceRateLimit } from '../src/rate-limit/handlers/limit.js';
import { type AuthServices, buildServices } from '../src/services.js';

// A minimal app around the two functions, built from the same shared pieces and the same composition root as the
// auth Worker, so the error model (RFC 6749 JSON on OAuth paths), headers and the limiter are the real ones.
const { app } = createServiceApp<Env, AuthServices>({ service: 'auth', oauthPaths: ['/limited'], buildServices });
app.post('/limited', async (c) => {
  const override = c.req.header('x-client-limit');
  await enforceRateLimit(c, {
    endpoint: (c.req.header('x-endpoint') ?? 'token') as RateLimitedEndpoint,
    clientId: c.req.header('x-client'),
    ip: c.req.header('x-ip') ?? 'unknown',
    clientLimit: override ? { capacity: Number(override), refillPerSecond: 0.001 } : null,
  });
  return c.json({ ok: true });
});
app.post('/failed-auth', async (c) => {
  await chargeFailedAuthentication(c, {
    clientId: 'x',
    ip: c.req.header('x-ip') ?? 'unknown',
  });
  return c.json({ error: 'invalid_client' }, 401);
});

const ns = (env as unknown as { RATE_LIMITER: RateLimiterNamespace }).RATE_LIMITER;
let seq = 0;
/** A fresh env object per test: configuration is parsed once per env object. Keys are unique per test too. */
function setup(vars: Record<string, string>) {
  const e = { ...(env as object), ...vars } as Env;
  const tag = `t${++seq}-${Date.now().toString(36)}`;
  const send = async (headers: Record<string, string>, path = '/limited') => {
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(`https://auth.example.com${path}`, { method: 'POST', headers }), e, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };
  return { tag, send };
}

const strict = {
  RATE_LIMIT_SUCCESS_HEADERS: 'true',
  RATE_LIMIT_TOKEN_CAPACITY: '5',
  RATE_LIMIT_TOKEN_REFILL_PER_SECOND: '0.001',
  RATE_LIMIT_IP_TOKEN_CAPACITY: '1000',
  RATE_LIMIT_IP_TOKEN_REFILL_PER_SECOND: '0.001',
};

describe('enforceRateLimit (Durable Object backend)', () => {
  it('allows the capacity, then answers 429 in RFC 6749 JSON with Retry-After and RateLimit headers', async () => {
    const { tag, send } = setup(strict);
    const statuses: number[] = [];
    let refused: Response | undefined;
    for (let i = 0; i < 9; i++) {
      const res = await send({ 'x-client': `c-${tag}`, 'x-ip': '198.51.100.1' });
      statuses.push(res.status);
      if (res.status === 200) {
        expect(res.headers.get('ratelimit-limit')).toBeTruthy();
        expect(Number(res.headers.get('ratelimit-remaining'))).toBeGreaterThanOrEqual(0);
      } else refused ??= res;
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429, 429]);
    const r = refused as Response;
    expect(await r.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: expect.stringMatching(/client/),
    });
    expect(r.headers.get('content-type')).toContain('application/json');
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(900); // one token per 1000 s
    expect(r.headers.get('ratelimit-limit')).toBe('5');
    expect(r.headers.get('ratelimit-remaining')).toBe('0');
    expect(r.headers.get('ratelimit-reset')).toBe(r.headers.get('retry-after'));
    expect(r.headers.get('cache-control')).toBe('no-store');
  });

  it('leaves allowed responses alone unless RATE_LIMIT_SUCCESS_HEADERS is on', async () => {
    const { tag, send } = setup({ ...strict, RATE_LIMIT_SUCCESS_HEADERS: 'false' });
    const res = await send({ 'x-client': `c-${tag}`, 'x-ip': '198.51.100.9' });
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit-limit')).toBeNull();
  });

  it('holds exactly under concurrent requests', async () => {
    const { tag, send } = setup({ ...strict, RATE_LIMIT_TOKEN_CAPACITY: '12' });
    const all = await Promise.all(
      Array.from({ length: 40 }, () => send({ 'x-client': `c-${tag}`, 'x-ip': '198.51.100.2' })),
    );
    expect(all.filter((r) => r.status === 200)).toHaveLength(12);
    expect(all.filter((r) => r.status === 429)).toHaveLength(28);
  });

  it('needs both buckets: the IP bucket limits all clients behind one address', async () => {
    const { tag, send } = setup({ ...strict, RATE_LIMIT_TOKEN_CAPACITY: '100', RATE_LIMIT_IP_TOKEN_CAPACITY: '6' });
    const ip = '2001:db8:aa:bb::1';
    let ok = 0;
    for (let i = 0; i < 12; i++) {
      // Alternating clients, and addresses inside one /64: still one IP bucket.
      const res = await send({ 'x-client': `c${i % 2}-${tag}`, 'x-ip': i % 3 ? ip : '2001:db8:aa:bb:ffff::9' });
      if (res.status === 200) ok++;
      else expect(await res.json()).toMatchObject({ error_description: expect.stringMatching(/address/) });
    }
    expect(ok).toBe(6);
    // Another /64 is another bucket.
    expect((await send({ 'x-client': `c0-${tag}`, 'x-ip': '2001:db8:aa:bc::1' })).status).toBe(200);
  });

  it('applies a per-client override from the client record', async () => {
    const { tag, send } = setup(strict);
    let ok = 0;
    for (let i = 0; i < 8; i++) {
      if ((await send({ 'x-client': `c-${tag}`, 'x-ip': '198.51.100.3', 'x-client-limit': '2' })).status === 200) ok++;
    }
    expect(ok).toBe(2);
  });

  it('keeps endpoints apart', async () => {
    const { tag, send } = setup({
      ...strict,
      RATE_LIMIT_INTROSPECT_CAPACITY: '1',
      RATE_LIMIT_INTROSPECT_REFILL_PER_SECOND: '0.001',
    });
    const h = { 'x-client': `c-${tag}`, 'x-ip': '198.51.100.4' };
    expect((await send({ ...h, 'x-endpoint': 'introspect' })).status).toBe(200);
    expect((await send({ ...h, 'x-endpoint': 'introspect' })).status).toBe(429);
    expect((await send({ ...h, 'x-endpoint': 'token' })).status).toBe(200);
  });

  it('spends leases locally: far fewer Durable Object calls than requests, same limit', async () => {
    const { tag, send } = setup({
      ...strict,
      RATE_LIMIT_TOKEN_CAPACITY: '1000000',
      RATE_LIMIT_TOKEN_REFILL_PER_SECOND: '1000',
    });
    const client = `c-${tag}`;
    for (let i = 0; i < 300; i++) expect((await send({ 'x-client': client, 'x-ip': '198.51.100.5' })).status).toBe(200);
    const stub = ns.get(ns.idFromName(`token:client:${client}`));
    const seen = await runInDurableObject(stub, (instance: RateLimiter) => instance.inspect());
    expect(seen.calls).toBeGreaterThan(0);
    expect(seen.calls).toBeLessThan(30);
  });

  it('asks the owner on every request when leasing is off', async () => {
    const { tag, send } = setup({ ...strict, RATE_LIMIT_LEASE_SIZE: '0' });
    const client = `c-${tag}`;
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await send({ 'x-client': client, 'x-ip': '198.51.100.6' })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const stub = ns.get(ns.idFromName(`token:client:${client}`));
    expect((await runInDurableObject(stub, (instance: RateLimiter) => instance.inspect())).calls).toBe(7);
  });

  it('charges failed authentications to the address on every client-authenticating endpoint', async () => {
    const { tag, send } = setup({
      ...strict,
      RATE_LIMIT_TOKEN_CAPACITY: '1000',
      RATE_LIMIT_IP_TOKEN_CAPACITY: '30',
      RATE_LIMIT_IP_INTROSPECT_CAPACITY: '30',
      RATE_LIMIT_IP_INTROSPECT_REFILL_PER_SECOND: '0.001',
      RATE_LIMIT_FAILED_AUTH_COST: '10',
    });
    const attacker = '203.0.113.66';
    // A first success so the isolate holds a lease for this address: the charge must drain it too.
    expect((await send({ 'x-client': `c-${tag}`, 'x-ip': attacker })).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await send({ 'x-ip': attacker }, '/failed-auth')).status).toBe(401);
    const next = await send({ 'x-client': `c-${tag}`, 'x-ip': attacker });
    expect(next.status).toBe(429);
    expect(await next.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect((await send({ 'x-client': `c-${tag}`, 'x-ip': attacker, 'x-endpoint': 'introspect' })).status).toBe(429);
    // Nobody else pays for it.
    expect((await send({ 'x-client': `c-${tag}`, 'x-ip': '203.0.113.67' })).status).toBe(200);
  });

  it('fails closed when the bucket owner is unreachable', async () => {
    const { tag, send } = setup({ ...strict, RATE_LIMIT_BACKEND: 'redis', RATE_LIMIT_TIMEOUT_MS: '300' });
    const res = await send({ 'x-client': `c-${tag}`, 'x-ip': '198.51.100.7' });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect(res.headers.get('retry-after')).toBe('1');
    // A failed-authentication charge that cannot be recorded does not break the request.
    expect((await send({ 'x-ip': '198.51.100.7' }, '/failed-auth')).status).toBe(401);
  });
});
