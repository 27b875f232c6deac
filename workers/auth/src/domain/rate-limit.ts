/**
 * Rate limits of the auth Worker's OAuth endpoints: a token bucket per client_id and one per client IP, both of
 * which must allow a request (issue 3). Buckets live in one place each (RateLimiter Durable Object, or Redis with
 * RATE_LIMIT_BACKEND=redis), so limits are global; see domain/token-bucket.ts for the math and its proof.
 *
 * Hot path. Asking the owner on every request costs a round trip, so each isolate borrows a small *lease* of
 * tokens and spends it locally (domain/rate-limit-lease.ts); before it runs out, one request refills it in the
 * background (`waitUntil`), so a busy client normally pays no I/O here at all. Leases never let more through
 * than one bucket would: leased tokens leave the bucket when lent, and the refill is capped while they are out.
 * Near the limit, leases shrink to nothing (never more than half of what is left) and the owner decides alone.
 *
 * Refusal: 429 with RFC 6749 JSON `{"error":"temporarily_unavailable"}`. RFC 6749 has no code for rate limits;
 * `temporarily_unavailable` ("temporary overloading") is the closest registered one, and the platform already maps
 * 429 to it on OAuth paths. `slow_down` was not chosen: it belongs to the device grant's polling contract (RFC 8628).
 * Headers: Retry-After (seconds), RateLimit-Limit (bucket capacity), RateLimit-Remaining, RateLimit-Reset (seconds
 * until a request can succeed). With RATE_LIMIT_SUCCESS_HEADERS=true, allowed responses carry the RateLimit-*
 * headers of the tighter bucket too; with leases, Remaining is then this isolate's estimate (the owner's count
 * when last asked plus what it holds).
 *
 * The owner unreachable: 503 `temporarily_unavailable` (fail closed), unless the isolate still holds a lease.
 */
import { type CommonConfig, readCommonConfig } from '../../../../shared/env.js';
import { OAuthError } from '../../../../shared/errors.js';
import { emitSecurityEvent } from '../../../../shared/events.js';
import type { AuthContext } from '../context.js';
import { durableObjectStore, type RateLimiterNamespace } from '../storage/rate-limit-do.js';
import { redisStore } from '../storage/rate-limit-redis.js';
import type { RateLimitStore } from '../storage/rate-limit-store.js';
import {
  endpointLimits,
  type RateLimitConfig,
  type RateLimitedEndpoint,
  readRateLimitConfig,
} from './rate-limit-config.js';
import { bucketKey, ipBucketId, keyPart } from './rate-limit-key.js';
import { type HeldLease, LeaseHolder } from './rate-limit-lease.js';
import type { AcquireResult, BucketParams } from './token-bucket.js';

export type { RateLimitedEndpoint } from './rate-limit-config.js';

type Scope = 'client' | 'ip';

interface Check {
  scope: Scope;
  key: string;
  params: BucketParams;
}

interface Decision {
  check: Check;
  allowed: boolean;
  remaining: number;
  resetMs: number;
  retryAfterMs: number;
  /** The local lease the token came from, to refund it if the sibling bucket refuses. */
  lease?: HeldLease;
  holder: LeaseHolder;
}

/** Endpoints whose callers authenticate as a client: a failed authentication is charged to all of them. */
const CLIENT_AUTH_ENDPOINTS: readonly RateLimitedEndpoint[] = ['token', 'introspect', 'revoke'];
/** Per isolate: keys with leases held. Bounded; dropping a holder only forfeits its leases (safe). */
const MAX_HOLDERS = 10_000;
const holders = new Map<string, LeaseHolder>();
/** Per isolate: at most one rate_limit.exceeded event per key and second, so a flood cannot flood the stream too. */
const EVENT_INTERVAL_MS = 1000;
const lastEvent = new Map<string, { at: number; suppressed: number }>();

function holderFor(key: string, rl: RateLimitConfig): LeaseHolder {
  let h = holders.get(key);
  if (h && h.maxWant === rl.RATE_LIMIT_LEASE_SIZE && h.ttlMs === rl.RATE_LIMIT_LEASE_TTL_MS) return h;
  if (holders.size >= MAX_HOLDERS) holders.delete(holders.keys().next().value as string);
  const ttl = rl.RATE_LIMIT_LEASE_TTL_MS;
  h = new LeaseHolder(rl.RATE_LIMIT_LEASE_SIZE, ttl, Math.max(50, Math.ceil(ttl / 10)));
  holders.set(key, h);
  return h;
}

const stores = new WeakMap<object, RateLimitStore>();
const limitCache = new WeakMap<RateLimitConfig, Map<RateLimitedEndpoint, ReturnType<typeof endpointLimits>>>();

function limitsFor(rl: RateLimitConfig, endpoint: RateLimitedEndpoint): ReturnType<typeof endpointLimits> {
  let byEndpoint = limitCache.get(rl);
  if (!byEndpoint) {
    byEndpoint = new Map();
    limitCache.set(rl, byEndpoint);
  }
  let limits = byEndpoint.get(endpoint);
  if (!limits) {
    limits = endpointLimits(rl, endpoint);
    byEndpoint.set(endpoint, limits);
  }
  return limits;
}

function storeFor(env: object, rl: RateLimitConfig): RateLimitStore {
  let store = stores.get(env);
  if (store) return store;
  if (rl.RATE_LIMIT_BACKEND === 'redis') {
    store = redisStore(readCommonConfig(env));
  } else {
    const ns = (env as { RATE_LIMITER?: RateLimiterNamespace }).RATE_LIMITER;
    if (!ns) throw new Error('RATE_LIMIT_BACKEND=durable-object needs the RATE_LIMITER Durable Object binding');
    store = durableObjectStore(ns);
  }
  stores.set(env, store);
  return store;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`rate limiter did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

function unavailable(err: unknown): OAuthError {
  console.log(
    JSON.stringify({
      level: 'error',
      service: 'auth',
      msg: 'rate limiter unavailable',
      error: (err as Error)?.message,
    }),
  );
  return new OAuthError('temporarily_unavailable', 'the rate limiter is unavailable; retry shortly', 503, {
    'retry-after': '1',
  });
}

/** Starts a background lease refill from this request, if none is in flight for the key. Never awaited. */
function refillInBackground(c: AuthContext, store: RateLimitStore, check: Check, h: LeaseHolder, rl: RateLimitConfig) {
  const sentAt = Date.now();
  h.refilling = true;
  h.refillStartedAt = sentAt;
  const returns = h.takeReturns(sentAt);
  const ticket = h.begin();
  const work = withTimeout(
    store.acquire(check.key, check.params, { cost: 0, lease: h.want, leaseTtlMs: rl.RATE_LIMIT_LEASE_TTL_MS, returns }),
    rl.RATE_LIMIT_TIMEOUT_MS,
  )
    .then((result) => h.record(result, sentAt, Date.now()))
    .catch(() => {
      // The next request that finds no lease asks the owner itself and reports a failure.
    })
    .finally(() => {
      h.refilling = false;
      h.end(ticket);
    });
  c.executionCtx.waitUntil(work);
}

/**
 * Polls (1 ms timers) until one of `tickets` lands with a lease this request can spend, or all have landed, or the
 * deadline passes. Polling, because workerd does not let one request await a promise settled by another's I/O.
 */
async function waitForLease(
  h: LeaseHolder,
  tickets: readonly number[],
  giveUpAt: number,
): Promise<HeldLease | undefined> {
  while (h.anyPending(tickets) && Date.now() < giveUpAt) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    const lease = h.trySpend(Date.now(), 1);
    if (lease) return lease;
  }
  return undefined;
}

/** The hot path: spend a token this isolate already holds. No I/O, no promise. */
function takeLocal(c: AuthContext, rl: RateLimitConfig, store: RateLimitStore, check: Check): Decision | undefined {
  if (rl.RATE_LIMIT_LEASE_SIZE === 0) return undefined;
  const h = holderFor(check.key, rl);
  const now = Date.now();
  const lease = h.trySpend(now, 1);
  if (!lease) return undefined;
  if (h.needsRefill(now)) refillInBackground(c, store, check, h, rl);
  return {
    check,
    allowed: true,
    remaining: h.estimateRemaining(now),
    resetMs: Math.max(0, h.ownerResetMs - (now - h.seenAt)),
    retryAfterMs: 0,
    lease,
    holder: h,
  };
}

async function take(c: AuthContext, rl: RateLimitConfig, store: RateLimitStore, check: Check): Promise<Decision> {
  const local = takeLocal(c, rl, store, check);
  if (local) return local;
  const h = holderFor(check.key, rl);
  let now = Date.now();
  if (rl.RATE_LIMIT_LEASE_SIZE > 0 && h.inFlight().length > 0) {
    // Nothing here, but calls of this isolate for the key are in flight (a refill, or other requests): their leases
    // land in the shared pool, so wait for them rather than add one more call to the storm.
    const lease = await waitForLease(h, h.inFlight(), now + rl.RATE_LIMIT_TIMEOUT_MS);
    now = Date.now();
    if (lease) {
      if (h.needsRefill(now)) refillInBackground(c, store, check, h, rl);
      return {
        check,
        allowed: true,
        remaining: h.estimateRemaining(now),
        resetMs: 0,
        retryAfterMs: 0,
        lease,
        holder: h,
      };
    }
  }
  const returns = h.takeReturns(now);
  const ticket = h.begin();
  let result: AcquireResult;
  try {
    result = await withTimeout(
      store.acquire(check.key, check.params, {
        cost: 1,
        lease: rl.RATE_LIMIT_LEASE_SIZE > 0 ? h.want : 0,
        leaseTtlMs: rl.RATE_LIMIT_LEASE_TTL_MS,
        returns,
      }),
      rl.RATE_LIMIT_TIMEOUT_MS,
    );
  } catch (err) {
    throw unavailable(err);
  } finally {
    h.end(ticket);
  }
  const after = Date.now();
  h.record(result, now, after);
  if (!result.allowed && rl.RATE_LIMIT_LEASE_SIZE > 0) {
    // Refused because concurrent requests of this isolate were lent the last tokens? Spend those rather than refuse
    // while tokens sit here unused. Calls in flight now may bring a lease granted before this refusal: wait for
    // those (not for later ones, so a flood of refusals does not wait on itself).
    const lease = h.trySpend(after, 1) ?? (await waitForLease(h, h.inFlight(), after + rl.RATE_LIMIT_TIMEOUT_MS));
    if (lease) {
      const at = Date.now();
      return {
        check,
        allowed: true,
        remaining: h.available(at),
        resetMs: result.resetMs,
        retryAfterMs: 0,
        lease,
        holder: h,
      };
    }
  }
  return {
    check,
    allowed: result.allowed,
    remaining: result.remaining + h.available(after),
    resetMs: result.resetMs,
    retryAfterMs: result.retryAfterMs,
    holder: h,
  };
}

function headers(d: Decision): Record<string, string> {
  const reset = d.allowed ? d.resetMs : d.retryAfterMs;
  const out: Record<string, string> = {
    'ratelimit-limit': String(d.check.params.capacity),
    'ratelimit-remaining': String(Math.max(0, Math.floor(d.remaining))),
    'ratelimit-reset': String(Math.ceil(reset / 1000)),
  };
  if (!d.allowed) out['retry-after'] = String(Math.max(1, Math.ceil(d.retryAfterMs / 1000)));
  return out;
}

function reportRefusal(
  c: AuthContext,
  common: CommonConfig,
  endpoint: RateLimitedEndpoint,
  req: { clientId?: string; ip: string },
  d: Decision,
): void {
  const now = Date.now();
  const seen = lastEvent.get(d.check.key);
  if (seen && now - seen.at < EVENT_INTERVAL_MS) {
    seen.suppressed += 1;
    return;
  }
  if (lastEvent.size >= MAX_HOLDERS) lastEvent.clear();
  lastEvent.set(d.check.key, { at: now, suppressed: 0 });
  emitSecurityEvent(c.executionCtx, common, 'auth', {
    type: 'rate_limit.exceeded',
    outcome: 'denied',
    client_id: req.clientId,
    ip: req.ip,
    user_agent: c.req.header('user-agent')?.slice(0, 256),
    request_id: c.get('requestId'),
    details: {
      endpoint,
      bucket: d.check.scope,
      limit: d.check.params.capacity,
      refill_per_second: d.check.params.refillPerSecond,
      retry_after_seconds: Math.max(1, Math.ceil(d.retryAfterMs / 1000)),
      // Refusals of the same bucket in this isolate since the previous event (events are sampled, see above).
      suppressed: seen?.suppressed ?? 0,
    },
  });
}

/**
 * Takes one token from the client's bucket (when the client is known) and from the IP's bucket for `endpoint`.
 * Throws a 429 OAuthError with Retry-After and RateLimit-* headers when either refuses; adds RateLimit-* headers
 * to the response when both allow and RATE_LIMIT_SUCCESS_HEADERS is on.
 */
export async function enforceRateLimit(
  c: AuthContext,
  req: {
    endpoint: RateLimitedEndpoint;
    clientId?: string;
    ip: string;
    clientLimit?: { capacity: number; refillPerSecond: number } | null;
  },
): Promise<void> {
  const rl = readRateLimitConfig(c.env as object);
  const store = storeFor(c.env as object, rl);
  const limits = limitsFor(rl, req.endpoint);
  let ipPart = keyPart(ipBucketId(req.ip));
  if (typeof ipPart !== 'string') ipPart = await ipPart;
  const checks: Check[] = [{ scope: 'ip', key: bucketKey(req.endpoint, 'ip', ipPart), params: limits.ip }];
  if (req.clientId) {
    let clientPart = keyPart(req.clientId);
    if (typeof clientPart !== 'string') clientPart = await clientPart;
    checks.push({
      scope: 'client',
      key: bucketKey(req.endpoint, 'client', clientPart),
      params: req.clientLimit ?? limits.client,
    });
  }
  // Both buckets from local leases (the common case): no I/O and no further awaits.
  const local = checks.map((check) => takeLocal(c, rl, store, check));
  const decisions = local.every((d) => d !== undefined)
    ? (local as Decision[])
    : await Promise.all(checks.map((check, i) => local[i] ?? take(c, rl, store, check)));
  const refused = decisions.find((d) => !d.allowed);
  if (refused) {
    // The sibling's token was not used: put it back if it came from a local lease (owner-taken ones stay spent).
    for (const d of decisions) if (d.allowed && d.lease) d.holder.refund(d.lease, 1);
    reportRefusal(c, readCommonConfig(c.env as object), req.endpoint, req, refused);
    throw new OAuthError(
      'temporarily_unavailable',
      `rate limit exceeded for this ${refused.check.scope === 'ip' ? 'address' : 'client'}; retry later`,
      429,
      headers(refused),
    );
  }
  if (rl.RATE_LIMIT_SUCCESS_HEADERS) {
    let tightest = decisions[0] as Decision;
    for (const d of decisions) if (d.remaining < tightest.remaining) tightest = d;
    for (const [name, value] of Object.entries(headers(tightest))) c.header(name, value);
  }
}

/**
 * Charges RATE_LIMIT_FAILED_AUTH_COST tokens to the caller IP's buckets of every client-authenticating endpoint
 * (token, introspection, revocation), so a secret guesser cannot just move to another endpoint. The charge is
 * complete when this returns, so the caller's next request already sees it.
 *
 * Not charged to the client's own bucket: anyone who knows a client_id (it is not a secret) could otherwise lock
 * the legitimate client out with failures. Guessing a 256-bit secret from many addresses is hopeless anyway.
 * Never throws: a failure is logged and the request goes on failing authentication as it should.
 */
export async function chargeFailedAuthentication(
  c: AuthContext,
  req: { clientId?: string; ip: string },
): Promise<void> {
  try {
    const rl = readRateLimitConfig(c.env as object);
    const store = storeFor(c.env as object, rl);
    const cost = rl.RATE_LIMIT_FAILED_AUTH_COST;
    const ipPart = await keyPart(ipBucketId(req.ip));
    const now = Date.now();
    await Promise.all(
      CLIENT_AUTH_ENDPOINTS.map(async (endpoint) => {
        const key = bucketKey(endpoint, 'ip', ipPart);
        const params = limitsFor(rl, endpoint).ip;
        // Spend what this isolate holds first: those tokens are already out of the bucket.
        const left = cost - holderFor(key, rl).drain(now, cost);
        if (left > 0) await withTimeout(store.charge(key, params, left), rl.RATE_LIMIT_TIMEOUT_MS);
      }),
    );
  } catch (err) {
    console.log(
      JSON.stringify({
        level: 'error',
        service: 'auth',
        msg: 'failed-authentication charge not recorded',
        client_id: req.clientId,
        error: (err as Error)?.message,
      }),
    );
  }
}
