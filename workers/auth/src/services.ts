/**
 * The auth Worker's composition root: everything its handlers use, built once per env object from one merged,
 * validated configuration (env.ts). Handlers reach it as `c.var.services` (on hot paths `c.get('services')`,
 * which does not copy the variables). Request-scoped facts (client address, request id, waitUntil) are
 * arguments of the calls, never state here.
 */
import type { AdminAuthorization } from '../../../shared/admin/authorize.js';
import { AdminCredentials, adminAuthThrottle } from '../../../shared/admin/credentials.js';
import type { BaseServices, ServiceContext } from '../../../shared/app.js';
import { EventSampler, type EventSink } from '../../../shared/events/sink.js';
import {
  authorize,
  type AuthorizeInput,
  type PolicyDecision,
  remotePolicyDecider,
} from '../../../shared/policy-client.js';
import type { RequestIdentity } from '../../../shared/request-context.js';
import { coreServices } from '../../../shared/services.js';
import { createLimiter } from '../../../shared/rate-limit/create.js';
import { Limiter } from '../../../shared/rate-limit/limiter.js';
import type { BucketParams } from '../../../shared/rate-limit/domain/token-bucket.js';
import { createStateStore } from '../../../shared/state/select.js';
import type { StateStore } from '../../../shared/state/store.js';
import type { UserStore } from './accounts/domain/user-store.js';
import { PostgresUserStore } from './accounts/storage/users.js';
import { createCacheSeal, createValueSeal } from './clients/domain/cache-seal.js';
import { ACCOUNT_CACHE_CONTEXT } from './accounts/storage/account-cache.js';
import type { ClientStore, TamperReport } from './clients/domain/client-store.js';
import { PostgresClientStore } from './clients/storage/clients.js';
import { DiscoveryDocuments } from './discovery/documents.js';
import { type AuthConfig, type Env, readAuthConfig } from './env.js';
import { KeyRing } from './keys/key-ring.js';
import { type CookieSecurity, cookieSecurityFor } from './login/domain/cookies.js';
import type { SessionPolicy } from './login/domain/session.js';
import { type LoginKeys, loginKeys } from './login/login-keys.js';
import { PostgresSigningKeyStore } from './keys/storage/signing-keys.js';
import { RefreshFamilies } from './refresh/refresh-families.js';
import type { MfaStore } from './mfa/domain/mfa-store.js';
import { type MfaKeys, mfaKeys } from './mfa/mfa-keys.js';
import { PostgresMfaStore } from './mfa/storage/mfa-factors.js';
import { allEndpointLimits, type EndpointLimits, type RateLimitedEndpoint } from './rate-limit/domain/limits.js';
import { revocationLease as leaseOf } from './tokens/domain/revocation-lease.js';
import { RevocationState } from './tokens/revocation-state.js';
import { PostgresRevocationStore } from './tokens/storage/revocations.js';
import { VerifiedTokens } from './tokens/verified-tokens.js';

export interface AuthServices extends BaseServices {
  readonly config: AuthConfig;
  readonly events: EventSink;
  readonly clients: ClientStore;
  readonly keys: KeyRing;
  readonly revocations: RevocationState;
  /** Tokens whose signature this isolate verified (introspection's repeat checks skip the signature). */
  readonly verifiedTokens: VerifiedTokens;

  /** Refresh-token families on the keyed-state store. */
  readonly refreshFamilies: RefreshFamilies;
  readonly rateLimits: {
    readonly limiter: Limiter;
    readonly endpoints: Readonly<Record<RateLimitedEndpoint, EndpointLimits>>;
    readonly failedAuthCost: number;
    readonly successHeaders: boolean;
    /** Samples rate_limit.exceeded events (one per bucket and second). */
    readonly refusals: EventSampler;
  };
  readonly admin: AdminAuthorization<PolicyDecision>;
  readonly discovery: DiscoveryDocuments;
  /** End-user accounts (Postgres). */
  readonly users: UserStore;
  /**
   * Keyed state (STATE_BACKEND: one Durable Object per document on Cloudflare, Redis on Kubernetes): authorization
   * codes, login transactions, sessions, consents, sign-in failure counters, refresh-token families.
   */
  readonly state: StateStore;
  readonly login: {
    readonly cookies: CookieSecurity;
    readonly sessionPolicy: SessionPolicy;
    readonly keys: () => Promise<LoginKeys>;
  };
  /** Second factors (mfa/): enrolled factors (Postgres), their keys, the per-user attempt limiter. */
  readonly mfa: {
    readonly store: MfaStore;
    readonly keys: () => Promise<MfaKeys>;
    /** No leases: every attempt is decided by the bucket's owner, so the budget is exact across isolates. */
    readonly limiter: Limiter;
    readonly attempts: BucketParams;
    /** One decision of the policy Worker (fail closed: throws PolicyUnavailableError), for step-up. */
    readonly policy: (input: AuthorizeInput, identity: RequestIdentity) => Promise<PolicyDecision>;
  };
}

export type AuthContext = ServiceContext<Env, AuthServices>;

export function buildServices(env: Env): AuthServices {
  const config = readAuthConfig(env);
  const { deps, events } = coreServices(config, 'auth');
  const signingKeys = new PostgresSigningKeyStore(deps);
  const revocationLease = leaseOf(config.REVOCATION_LEASE_MS);
  const limiter = createLimiter(config, deps, env.RATE_LIMITER);
  const state = createStateStore(config, deps.redis, env.STATE);
  const reportTampering: TamperReport = (clientId, reason, ctx) =>
    events.emit(
      {
        type: 'cache.tampered',
        outcome: 'denied',
        client_id: clientId.slice(0, 64),
        details: { cache: 'client', reason },
      },
      ctx,
    );
  return {
    config,
    deps,
    events,
    clients: new PostgresClientStore(
      deps,
      config.CLIENT_CACHE_TTL_MS,
      createCacheSeal(config.CLIENT_CACHE_MAC_KEY),
      reportTampering,
    ),
    keys: new KeyRing(signingKeys, config, revocationLease),
    // The denylist lookup reads the key set's version in the same round trip (introspection's key-ring check).
    revocations: new RevocationState(
      new PostgresRevocationStore(deps, signingKeys.versionKey(), revocationLease),
      revocationLease,
    ),
    verifiedTokens: new VerifiedTokens(),
    state,
    refreshFamilies: new RefreshFamilies(state, { retryWindowMs: config.REFRESH_TOKEN_RETRY_WINDOW_SECONDS * 1000 }),
    rateLimits: {
      limiter,
      endpoints: allEndpointLimits(config),
      failedAuthCost: config.RATE_LIMIT_FAILED_AUTH_COST,
      successHeaders: config.RATE_LIMIT_SUCCESS_HEADERS,
      refusals: new EventSampler(),
    },
    admin: {
      credentials: new AdminCredentials(deps, config.ADMIN_BOOTSTRAP_TOKEN, adminAuthThrottle(limiter.store, config)),
      decider: remotePolicyDecider(env.POLICY, {
        token: config.POLICY_API_TOKEN,
        timeoutMs: config.SERVICE_TIMEOUT_MS,
      }),
      events,
    },
    discovery: new DiscoveryDocuments(config),
    users: new PostgresUserStore(deps, createValueSeal(config.CLIENT_CACHE_MAC_KEY, ACCOUNT_CACHE_CONTEXT)),
    login: {
      cookies: cookieSecurityFor(config.ISSUER),
      sessionPolicy: {
        idleSeconds: config.SESSION_IDLE_SECONDS,
        absoluteSeconds: config.SESSION_ABSOLUTE_SECONDS,
        touchIntervalSeconds: Math.min(300, Math.floor(config.SESSION_IDLE_SECONDS / 4)),
      },
      keys: loginKeys(config.CLIENT_CACHE_MAC_KEY),
    },
    mfa: {
      store: new PostgresMfaStore(deps),
      keys: mfaKeys(config),
      limiter: new Limiter(limiter.store, {
        RATE_LIMIT_LEASE_SIZE: 0,
        RATE_LIMIT_LEASE_TTL_MS: 1_000,
        RATE_LIMIT_TIMEOUT_MS: config.SERVICE_TIMEOUT_MS,
      }),
      attempts: { capacity: config.MFA_RATE_LIMIT_CAPACITY, refillPerSecond: config.MFA_RATE_LIMIT_REFILL_PER_SECOND },
      policy: (input, identity) =>
        authorize(env.POLICY, input, {
          identity,
          timeoutMs: config.SERVICE_TIMEOUT_MS,
          ...(config.POLICY_API_TOKEN ? { token: config.POLICY_API_TOKEN } : {}),
        }),
    },
  };
}
