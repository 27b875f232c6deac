/**
 * Rate limits, black box: the real workerd running the generated configuration, real Postgres and Redis.
 * Both backends: the RateLimiter Durable Object (default) and Redis (RATE_LIMIT_BACKEND=redis, the Kubernetes
 * fallback). Leasing stays on (the default), as in production.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Platform, startPlatform } from './harness.js';
import { fromStreamEntry, toStreamFields } from '../../shared/events/event.js';

const REGISTRATION_TOKEN = randomBytes(32).toString('base64url');

function platformEnv(extra: Record<string, string>): Record<string, string> {
  return {
    ISSUER: 'http://127.0.0.1',
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    REGISTRATION_TOKEN,
    SCOPES_SUPPORTED: 'read write',
    RATE_LIMIT_SUCCESS_HEADERS: 'true',
    // Wide defaults so only the buckets a test means to hit are hit.
    RATE_LIMIT_IP_TOKEN_CAPACITY: '100000',
    RATE_LIMIT_IP_TOKEN_REFILL_PER_SECOND: '1000',
    RATE_LIMIT_IP_REGISTER_CAPACITY: '1000',
    RATE_LIMIT_IP_REGISTER_REFILL_PER_SECOND: '100',
    ...extra,
  };
}

interface Client {
  id: string;
  secret: string;
}

async function register(p: Platform, rateLimit?: { capacity: number; refill_per_second: number }): Promise<Client> {
  const res = await fetch(`${p.urls.auth}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${REGISTRATION_TOKEN}` },
    body: JSON.stringify({
      client_name: 'rate-limit test',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'read',
      ...(rateLimit ? { rate_limit: rateLimit } : {}),
    }),
  });
  const body = (await res.json()) as { client_id: string; client_secret: string };
  expect(res.status, JSON.stringify(body)).toBe(201);
  return { id: body.client_id, secret: body.client_secret };
}

function tokenRequest(p: Platform, client: Client, opts: { ip?: string; secret?: string } = {}): Promise<Response> {
  const basic = Buffer.from(
    `${encodeURIComponent(client.id)}:${encodeURIComponent(opts.secret ?? client.secret)}`,
  ).toString('base64');
  return fetch(`${p.urls.auth}/oauth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${basic}`,
      // Self-hosted workerd: the address comes from the trusted ingress's X-Forwarded-For entry.
      ...(opts.ip ? { 'x-forwarded-for': opts.ip } : {}),
    },
    body: 'grant_type=client_credentials&scope=read',
  });
}

async function expectRefusal(res: Response, limit: number): Promise<void> {
  expect(res.status).toBe(429);
  expect(await res.json()).toMatchObject({ error: 'temporarily_unavailable' });
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(res.headers.get('ratelimit-limit')).toBe(String(limit));
  expect(res.headers.get('ratelimit-remaining')).toBe('0');
  expect(Number(res.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(1);
}

async function securityEvents(p: Platform): Promise<Record<string, string>[]> {
  // Raw XRANGE reply (the harness client does not deserialize): [[id, [field, value, ...]], ...]
  const raw = (await p.redis.xrange(`${p.redisPrefix}security-events`, '-', '+')) as unknown as [string, string[]][];
  return raw.flatMap(([, fields]) => {
    const entry: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) entry[fields[i] as string] = fields[i + 1] as string;
    // Each event with one field per property, whichever form the entry was written in.
    return fromStreamEntry(entry).map(toStreamFields);
  });
}

/** Polls briefly: events are written after the response (waitUntil). */
async function eventually<T>(fn: () => Promise<T | undefined>, ms = 3000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const backend of ['durable-object', 'redis'] as const) {
  describe(`rate limits with RATE_LIMIT_BACKEND=${backend}`, () => {
    let p: Platform;
    beforeAll(async () => {
      p = await startPlatform({
        env: platformEnv({
          RATE_LIMIT_BACKEND: backend,
          TRUST_PROXY_HEADERS: 'true',
          RATE_LIMIT_IP_INTROSPECT_REFILL_PER_SECOND: '0.001',
          RATE_LIMIT_FAILED_AUTH_COST: '10',
        }),
      });
      // Warm up: the first token request of a fresh platform creates the signing key.
      const warm = await register(p);
      expect((await tokenRequest(p, warm)).status).toBe(200);
    }, 60_000);
    afterAll(async () => {
      await p?.stop();
    });

    it('a burst of concurrent token requests for one client gets at most N, the rest 429 with headers', async () => {
      const N = 20;
      const client = await register(p, { capacity: N, refill_per_second: 0.001 });
      const responses = await Promise.all(Array.from({ length: 80 }, () => tokenRequest(p, client)));
      const ok = responses.filter((r) => r.status === 200);
      const refused = responses.filter((r) => r.status !== 200);
      expect(ok.length).toBeLessThanOrEqual(N);
      // Not stingy either: leases held in one process are spent before anything is refused.
      expect(ok.length).toBe(N);
      for (const r of refused) await expectRefusal(r, N);
      for (const r of ok) {
        expect(r.headers.get('ratelimit-limit')).toBe(String(N));
        expect((await r.json()) as { access_token: string }).toHaveProperty('access_token');
      }
      // Later requests still refused: the bucket refills one token per 1000 s.
      await expectRefusal(await tokenRequest(p, client), N);
      const event = await eventually(async () =>
        (await securityEvents(p)).find((e) => e.type === 'rate_limit.exceeded' && e.client_id === client.id),
      );
      expect(event.outcome).toBe('denied');
      expect(JSON.parse(event.details as string)).toMatchObject({ endpoint: 'token', bucket: 'client', limit: N });
    });

    it('refills: a client limited to a small burst gets more after waiting, never more than the bucket allows', async () => {
      const C = 3;
      const rate = 10;
      const client = await register(p, { capacity: C, refill_per_second: rate });
      const burst = async () => {
        const started = performance.now();
        const res = await Promise.all(Array.from({ length: 10 }, () => tokenRequest(p, client)));
        const statuses = res.map((r) => r.status).join(',');
        return { ok: res.filter((r) => r.status === 200).length, started, ended: performance.now(), statuses };
      };
      const first = await burst();
      await new Promise((r) => setTimeout(r, 400)); // 4 tokens of refill, capped at 3
      const second = await burst();
      // Every decision fell inside [first.started, second.ended]: one bucket allows at most C + rate * that time.
      const bound = C + (rate * (second.ended - first.started)) / 1000;
      expect(first.ok + second.ok).toBeLessThanOrEqual(Math.floor(bound));
      expect(first.ok, first.statuses).toBeGreaterThanOrEqual(C);
      expect(second.ok, second.statuses).toBeGreaterThanOrEqual(C);
    });

    it('failed client authentications throttle the address hard, and only that address', async () => {
      const client = await register(p, { capacity: 100_000, refill_per_second: 1000 });
      const attacker = '203.0.113.77';
      // The address bucket holds 30 tokens on this endpoint; each failure costs 10 more than a request.
      await p.restartWorkerd({
        RATE_LIMIT_IP_TOKEN_CAPACITY: '30',
        RATE_LIMIT_IP_TOKEN_REFILL_PER_SECOND: '0.01',
        RATE_LIMIT_IP_INTROSPECT_CAPACITY: '30',
      });
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await tokenRequest(p, client, { ip: attacker, secret: 'wrong' })).status);
      // 3 failures (1 + 10 each) exhaust 30 tokens: the 4th guess is already refused before authentication.
      expect(statuses.slice(0, 2)).toEqual([401, 401]);
      expect(statuses[3]).toBe(429);
      // The right secret from that address is refused too; another address is not affected.
      await expectRefusal(await tokenRequest(p, client, { ip: attacker }), 30);
      // Off Cloudflare a caller-sent CF-Connecting-IP is not believed, so rotating it does not buy a fresh bucket.
      const basic = Buffer.from(`${client.id}:${client.secret}`).toString('base64');
      const forged = await fetch(`${p.urls.auth}/oauth/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${basic}`,
          'x-forwarded-for': attacker,
          'cf-connecting-ip': '198.51.100.200',
        },
        body: 'grant_type=client_credentials&scope=read',
      });
      await expectRefusal(forged, 30);
      expect((await tokenRequest(p, client, { ip: '203.0.113.78' })).status).toBe(200);
      // Guessing moved to introspection is throttled as well: failures were charged there too.
      const introspect = await fetch(`${p.urls.auth}/oauth/introspect`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
          'x-forwarded-for': attacker,
        },
        body: 'token=x',
      });
      expect(introspect.status).toBe(429);
      await p.restartWorkerd({
        RATE_LIMIT_IP_TOKEN_CAPACITY: '100000',
        RATE_LIMIT_IP_TOKEN_REFILL_PER_SECOND: '1000',
        RATE_LIMIT_IP_INTROSPECT_CAPACITY: '1200',
      });
    });

    it('never shares I/O or promises across requests (workerd would log it)', () => {
      expect(p.logs()).not.toMatch(/different request|Cannot perform I\/O/);
    });

    if (backend === 'redis') {
      it('keeps the bucket in Redis under the run prefix, with an expiry', async () => {
        const client = await register(p, { capacity: 5, refill_per_second: 0.01 });
        expect((await tokenRequest(p, client)).status).toBe(200);
        const key = `${p.redisPrefix}rate-limit:token:client:${client.id}`;
        expect(await p.redis.exists(key)).toBe(1);
        expect(await p.redis.pttl(key)).toBeGreaterThan(0);
      });

      it('holds one limit across workerd restarts (state is in Redis, not in the process)', async () => {
        const client = await register(p, { capacity: 6, refill_per_second: 0.001 });
        // Two requests: the first takes a token and a lease of 2, the second spends one of those locally.
        for (let i = 0; i < 2; i++) expect((await tokenRequest(p, client)).status).toBe(200);
        await p.restartWorkerd(); // the unspent leased token dies with the process: forfeited, never re-spent
        const after = await Promise.all(Array.from({ length: 10 }, () => tokenRequest(p, client)));
        const okAfter = after.filter((r) => r.status === 200).length;
        expect(2 + okAfter).toBeLessThanOrEqual(6);
        expect(okAfter).toBeGreaterThanOrEqual(3);
      });
    }
  });
}
