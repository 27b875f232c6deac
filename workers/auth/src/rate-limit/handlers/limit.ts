/**
 * Rate limits of the auth Worker's OAuth endpoints, on the shared limiter: a bucket per client_id and one per client
 * address, both of which must allow a request (see ../domain/limits.ts for what is limited and how much).
 *
 * Refusal: 429 with RFC 6749 JSON `{"error":"temporarily_unavailable"}`. RFC 6749 has no code for rate limits;
 * `temporarily_unavailable` ("temporary overloading") is the closest registered one, and the platform already maps
 * 429 to it on OAuth paths. `slow_down` was not chosen: it belongs to the device grant's polling contract (RFC 8628).
 * Headers: Retry-After (seconds), RateLimit-Limit (bucket capacity), RateLimit-Remaining, RateLimit-Reset (seconds
 * until a request can succeed). With RATE_LIMIT_SUCCESS_HEADERS=true, allowed responses carry the RateLimit-*
 * headers of the tighter bucket too; with leases, Remaining is then this isolate's estimate.
 *
 * The limiter unavailable: 503 `temporarily_unavailable` (fail closed), unless the isolate still holds a lease.
 */
import { logError } from '../../../../../shared/dependencies.js';
import { OAuthError } from '../../../../../shared/errors.js';
import { bucketKey, ipBucketId, keyPart } from '../../../../../shared/rate-limit/domain/keys.js';
import {
  type BucketCheck,
  type BucketDecision,
  type LimitOutcome,
  rateLimitHeaders,
} from '../../../../../shared/rate-limit/limiter.js';
import { emit } from '../../oauth/handlers/common.js';
import type { AuthContext } from '../../services.js';
import { CLIENT_AUTH_ENDPOINTS, type RateLimitedEndpoint } from '../domain/limits.js';

function unavailable(err: unknown): OAuthError {
  logError('auth', 'rate limiter unavailable', err);
  return new OAuthError('temporarily_unavailable', 'the rate limiter is unavailable; retry shortly', 503, {
    'retry-after': '1',
  });
}

/** At most one rate_limit.exceeded event per bucket and second per isolate, so a flood cannot flood the stream. */
function reportRefusal(
  c: AuthContext,
  req: { endpoint: RateLimitedEndpoint; clientId?: string; ip: string },
  scope: 'client' | 'ip',
  d: BucketDecision,
): void {
  const sampler = c.get('services').rateLimits.refusals;
  const now = Date.now();
  const report = (suppressed: number) =>
    emit(c, req.ip, 'rate_limit.exceeded', 'denied', req.clientId, {
      endpoint: req.endpoint,
      bucket: scope,
      limit: d.check.params.capacity,
      refill_per_second: d.check.params.refillPerSecond,
      retry_after_seconds: Math.max(1, Math.ceil(d.retryAfterMs / 1000)),
      // Refusals of the same bucket in this isolate since the previous event (events are sampled, see above).
      suppressed,
    });
  const suppressed = sampler.admit(d.check.key, now);
  if (suppressed !== undefined) {
    report(suppressed);
    return;
  }
  // Held back. The first refusal held in an interval schedules one trailing event at its end, so a burst that ends
  // within the interval is still reported in full (this event stands for one refusal, the rest ride as suppressed).
  const delay = sampler.trailingDelay(d.check.key, now);
  if (delay === undefined) return;
  c.executionCtx.waitUntil(
    new Promise((resolve) => setTimeout(resolve, delay)).then(() => {
      const held = sampler.takeSuppressed(d.check.key);
      if (held > 0) report(held - 1);
    }),
  );
}

/**
 * Takes one token from the client's bucket (when the client is known) and from the address's bucket for
 * `endpoint`. Throws a 429 OAuthError with Retry-After and RateLimit-* headers when either refuses; adds RateLimit-*
 * headers to the response when both allow and RATE_LIMIT_SUCCESS_HEADERS is on.
 *
 * `clientOnly`: the address bucket was already charged for this request. Client authentication takes the address
 * first, then verifies the secret, and only then charges the client's bucket: a client_id is public, so charging
 * its bucket before the secret is known would let anyone lock the client out with wrong secrets.
 */
export async function enforceRateLimit(
  c: AuthContext,
  req: {
    endpoint: RateLimitedEndpoint;
    clientId?: string;
    ip: string;
    clientLimit?: { capacity: number; refillPerSecond: number } | null;
    clientOnly?: boolean;
  },
): Promise<void> {
  const rl = c.get('services').rateLimits;
  const limits = rl.endpoints[req.endpoint];
  const checks: BucketCheck[] = [];
  if (!req.clientOnly) {
    let ipPart = keyPart(ipBucketId(req.ip));
    if (typeof ipPart !== 'string') ipPart = await ipPart;
    checks.push({ key: bucketKey(req.endpoint, 'ip', ipPart), params: limits.ip });
  }
  if (req.clientId) {
    let clientPart = keyPart(req.clientId);
    if (typeof clientPart !== 'string') clientPart = await clientPart;
    checks.push({ key: bucketKey(req.endpoint, 'client', clientPart), params: req.clientLimit ?? limits.client });
  }
  // Both buckets from local leases (the common case): no I/O and no further awaits.
  let outcome: LimitOutcome | Promise<LimitOutcome> = rl.limiter.take(checks, c.executionCtx);
  if (outcome instanceof Promise) {
    try {
      outcome = await outcome;
    } catch (err) {
      throw unavailable(err);
    }
  }
  const d = outcome.bucket;
  if (!outcome.allowed) {
    const scope = d.check === checks[0] && !req.clientOnly ? 'ip' : 'client';
    reportRefusal(c, req, scope, d);
    throw new OAuthError(
      'temporarily_unavailable',
      `rate limit exceeded for this ${scope === 'ip' ? 'address' : 'client'}; retry later`,
      429,
      rateLimitHeaders(d),
    );
  }
  if (rl.successHeaders) for (const [name, value] of Object.entries(rateLimitHeaders(d))) c.header(name, value);
}

/**
 * Charges RATE_LIMIT_FAILED_AUTH_COST tokens to the caller address's buckets of every client-authenticating
 * endpoint (token, introspection, revocation), so a secret guesser cannot just move to another endpoint. The charge
 * is complete when this returns, so the caller's next request already sees it.
 *
 * Not charged to the client's own bucket: anyone who knows a client_id (it is not a secret) could otherwise lock
 * the legitimate client out with failures. Guessing a 256-bit secret from many addresses is hopeless anyway.
 * Never throws: a failure is logged and the request goes on failing authentication as it should.
 */
export async function chargeFailedAuthentication(
  c: AuthContext,
  req: { clientId?: string; ip: string },
): Promise<void> {
  const rl = c.get('services').rateLimits;
  try {
    const ipPart = await keyPart(ipBucketId(req.ip));
    await Promise.all(
      CLIENT_AUTH_ENDPOINTS.map((endpoint) =>
        rl.limiter.charge(
          { key: bucketKey(endpoint, 'ip', ipPart), params: rl.endpoints[endpoint].ip },
          rl.failedAuthCost,
        ),
      ),
    );
  } catch (err) {
    logError('auth', 'failed-authentication charge not recorded', err, { client_id: req.clientId });
  }
}
