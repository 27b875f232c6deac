/**
 * Admin credentials: opaque bearer tokens that map to a principal with roles. The policy service decides what
 * that principal may do; this module only answers "who is calling".
 *
 * Credentials live in Postgres (`admin_credentials`, SHA-256 hash only), and so do operator API tokens
 * (`admin_tokens`: scoped to admin actions, expiring, created through the admin API; an expired or revoked one,
 * or one whose root credential is revoked (or, for the bootstrap token's, no longer configured), is unknown). `ADMIN_BOOTSTRAP_TOKEN`, when set, is
 * one more credential for the principal `bootstrap` with role `superadmin`, so a fresh deployment can create the
 * first real credentials.
 *
 * Anyone can send a bearer token, so a lookup must not be a free Postgres session for an attacker:
 * - results are cached per isolate by token hash, in a bounded LRU: a known credential for HIT_TTL_MS (a revoked one
 *   stops working within that), an unknown one for MISS_TTL_MS;
 * - a lookup that reaches Postgres first takes a token from the caller address's bucket (`admin-auth:ip:<address>`,
 *   ADMIN_AUTH_RATE_LIMIT_*), and a failed one costs ADMIN_AUTH_FAILED_COST more: an empty bucket answers 429
 *   before any Postgres work. Cached answers and the bootstrap token cost nothing;
 * - at most MAX_CONCURRENT_LOOKUPS lookups per isolate are in flight (defence in depth against many addresses):
 *   beyond that 503 with Retry-After.
 */
import { setBounded } from '../bounded-map.js';
import { eq } from 'drizzle-orm';
import { bearerChallenge, bearerToken } from '../bearer.js';
import { hashSecret, timingSafeEqualStrings } from '../crypto.js';
import { adminCredentials, adminTokens } from '../db/schema.js';
import { type Dependencies, logError, withPostgres } from '../dependencies.js';
import { ProblemError, unauthorized } from '../errors.js';
import type { WaitUntil } from '../events/sink.js';
import { bucketKey, ipBucketId, keyPart } from '../rate-limit/domain/keys.js';
import type { AdminCredentialConfig, CommonConfig } from '../env.js';
import type { RateLimitStore } from '../rate-limit/domain/store.js';
import type { BucketParams } from '../rate-limit/domain/token-bucket.js';
import { Limiter, rateLimitHeaders } from '../rate-limit/limiter.js';
import type { AdminPrincipal } from './entity.js';

const HIT_TTL_MS = 5_000;
const MISS_TTL_MS = 60_000;
const CACHE_MAX = 10_000;
const MAX_CONCURRENT_LOOKUPS = 16;
const BOOTSTRAP: AdminPrincipal = { id: 'bootstrap', roles: ['superadmin'], attributes: {}, credentialId: 'bootstrap' };

/** How failed admin authentications are throttled (the composition root builds it on the Worker's limiter store). */
export interface AdminAuthThrottle {
  /** A limiter without leases: every lookup's token is taken at the owner, so the limit is exact. */
  limiter: Limiter;
  params: BucketParams;
  /** Tokens a failed lookup costs on top of the one it took. */
  failedCost: number;
}

/**
 * The throttle on a Worker's rate-limit store (its STATE_BACKEND store, or Redis where the Worker has no Durable
 * Object binding). No leases: admin lookups are rare, and the limit must hold exactly across isolates.
 */
export function adminAuthThrottle(
  store: RateLimitStore,
  config: AdminCredentialConfig & Pick<CommonConfig, 'SERVICE_TIMEOUT_MS'>,
): AdminAuthThrottle {
  return {
    limiter: new Limiter(store, {
      RATE_LIMIT_LEASE_SIZE: 0,
      RATE_LIMIT_LEASE_TTL_MS: 1_000,
      RATE_LIMIT_TIMEOUT_MS: config.SERVICE_TIMEOUT_MS,
    }),
    params: {
      capacity: config.ADMIN_AUTH_RATE_LIMIT_CAPACITY,
      refillPerSecond: config.ADMIN_AUTH_RATE_LIMIT_REFILL_PER_SECOND,
    },
    failedCost: config.ADMIN_AUTH_FAILED_COST,
  };
}

/** Who is asking: the client address (shared/client-address.ts) and where background work may run. */
export interface CallerOrigin {
  ip: string | undefined;
  ctx: WaitUntil;
}

export class AdminCredentials {
  private readonly cache = new Map<string, { principal: AdminPrincipal | null; until: number }>();
  private inFlight = 0;

  constructor(
    private readonly deps: Dependencies,
    private readonly bootstrapToken: string | undefined,
    private readonly throttle?: AdminAuthThrottle,
  ) {}

  /** The admin principal of an `Authorization: Bearer` header, or a 401 with the `admin` challenge. */
  async authenticate(authorization: string | undefined | null, origin?: CallerOrigin): Promise<AdminPrincipal> {
    const token = bearerToken(authorization);
    if (!token) throw unauthorized('an admin bearer token is required', bearerChallenge('admin'));
    if (this.bootstrapToken && (await timingSafeEqualStrings(token, this.bootstrapToken))) return BOOTSTRAP;
    // The token has 256 bits of entropy, so a plain SHA-256 is a sufficient (and constant-time-looked-up) key.
    const hash = await hashSecret(token);
    const now = Date.now();
    const hit = this.cache.get(hash);
    let principal: AdminPrincipal | null;
    if (hit && hit.until > now && (hit.principal?.expiresAt ?? Number.POSITIVE_INFINITY) > now) {
      principal = hit.principal;
    } else {
      principal = await this.lookup(hash, origin);
      this.remember(hash, principal, now);
    }
    if (!principal) throw unauthorized('invalid admin credential', bearerChallenge('admin', 'invalid_token'));
    return principal;
  }

  private remember(hash: string, principal: AdminPrincipal | null, now: number): void {
    setBounded(this.cache, hash, { principal, until: now + (principal ? HIT_TTL_MS : MISS_TTL_MS) }, CACHE_MAX);
  }

  private async lookup(hash: string, origin: CallerOrigin | undefined): Promise<AdminPrincipal | null> {
    const bucket = await this.admit(origin);
    if (this.inFlight >= MAX_CONCURRENT_LOOKUPS) {
      throw new ProblemError(
        'ERR_DEPENDENCY_UNAVAILABLE',
        503,
        'Service Unavailable',
        'too many admin credential lookups in progress; retry shortly',
        {},
        { 'retry-after': '1' },
      );
    }
    this.inFlight++;
    let principal: AdminPrincipal | null;
    try {
      principal = await withPostgres(this.deps, 'admin credential lookup', async (db) => {
        const rows = await db.select().from(adminCredentials).where(eq(adminCredentials.tokenHash, hash)).limit(1);
        const row = rows[0];
        if (row) {
          if (row.revokedAt) return null;
          return { id: row.principalId, roles: row.roles, attributes: row.attributes, credentialId: row.id };
        }
        // A token lives only while the credential it descends from does (revoked: every token made from it ends).
        const tokens = await db
          .select({ token: adminTokens, root: { id: adminCredentials.id, revokedAt: adminCredentials.revokedAt } })
          .from(adminTokens)
          .leftJoin(adminCredentials, eq(adminCredentials.id, adminTokens.rootCredential))
          .where(eq(adminTokens.tokenHash, hash))
          .limit(1);
        const found = tokens[0];
        if (!found) return null;
        const { token, root } = found;
        if (token.revokedAt || token.expiresAt.getTime() <= Date.now()) return null;
        const rootLive =
          token.rootCredential === BOOTSTRAP.credentialId
            ? this.bootstrapToken !== undefined
            : root !== null && root.revokedAt === null;
        if (!rootLive) return null;
        return {
          id: token.principalId,
          roles: token.roles,
          attributes: {},
          credentialId: token.id,
          scopes: token.scopes,
          expiresAt: token.expiresAt.getTime(),
          rootCredential: token.rootCredential,
        };
      });
    } finally {
      this.inFlight--;
    }
    if (!principal && bucket && this.throttle) {
      try {
        await this.throttle.limiter.charge(bucket, this.throttle.failedCost);
      } catch (err) {
        // The lookup was already paid for; the request still fails as it should.
        logError(this.deps.service, 'failed admin authentication charge not recorded', err);
      }
    }
    return principal;
  }

  /** Takes the lookup's token from the caller address's bucket: 429 when it is empty, 503 when it cannot be asked. */
  private async admit(origin: CallerOrigin | undefined) {
    if (!this.throttle || !origin) return undefined;
    const check = {
      key: bucketKey('admin-auth', 'ip', await keyPart(ipBucketId(origin.ip ?? 'unknown'))),
      params: this.throttle.params,
    };
    let outcome: Awaited<ReturnType<Limiter['take']>>;
    try {
      outcome = await this.throttle.limiter.take([check], origin.ctx);
    } catch (err) {
      logError(this.deps.service, 'admin authentication rate limiter unavailable', err);
      throw new ProblemError(
        'ERR_DEPENDENCY_UNAVAILABLE',
        503,
        'Service Unavailable',
        'the rate limiter is unavailable; retry shortly',
        {},
        { 'retry-after': '1' },
      );
    }
    if (!outcome.allowed) {
      throw new ProblemError(
        'ERR_RATE_LIMITED',
        429,
        'Too Many Requests',
        'too many admin authentication attempts from this address; retry later',
        {},
        rateLimitHeaders(outcome.bucket),
      );
    }
    return check;
  }
}
