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
import { type PolicyDecision, remotePolicyDecider } from '../../../shared/policy-client.js';
import { coreServices } from '../../../shared/services.js';
import { createLimiter } from '../../../shared/rate-limit/create.js';
import type { Limiter } from '../../../shared/rate-limit/limiter.js';
import { createStateStore } from '../../../shared/state/select.js';
import type { StateStore } from '../../../shared/state/store.js';
import type { UserStore } from './accounts/domain/user-store.js';
import { PostgresUserStore } from './accounts/storage/users.js';
import { createCacheSeal } from './clients/domain/cache-seal.js';
import type { ClientStore, TamperReport } from './clients/domain/client-store.js';
import { PostgresClientStore } from './clients/storage/clients.js';
import { DiscoveryDocuments } from './discovery/documents.js';
import { type AuthConfig, type Env, readAuthConfig } from './env.js';
import { KeyRing } from './keys/key-ring.js';
import { type CookieSecurity, cookieSecurityFor } from './login/domain/cookies.js';
import type { SessionPolicy } from './login/domain/session.js';
import { type LoginKeys, loginKeys } from './login/login-keys.js';
import { PostgresSigningKeyStore } from './keys/storage/signing-keys.js';
import { allEndpointLimits, type EndpointLimits, type RateLimitedEndpoint } from './rate-limit/domain/limits.js';
import { RevocationState } from './tokens/revocation-state.js';
import { PostgresRevocationStore } from './tokens/storage/revocations.js';

export interface AuthServices extends BaseServices {
  readonly config: AuthConfig;
  readonly events: EventSink;
  readonly clients: ClientStore;
  readonly keys: KeyRing;
  readonly revocations: RevocationState;
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
  /** Keyed state: authorization codes, login transactions, sessions, consents, sign-in failure counters. */
  readonly state: StateStore;
  readonly login: {
    readonly cookies: CookieSecurity;
    readonly sessionPolicy: SessionPolicy;
    readonly keys: () => Promise<LoginKeys>;
  };
}

export type AuthContext = ServiceContext<Env, AuthServices>;

export function buildServices(env: Env): AuthServices {
  const config = readAuthConfig(env);
  const { deps, events } = coreServices(config, 'auth');
  const signingKeys = new PostgresSigningKeyStore(deps);
  const limiter = createLimiter(config, deps, env.RATE_LIMITER);
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
    keys: new KeyRing(signingKeys, config),
    // The denylist lookup reads the key set's version in the same round trip (introspection's key-ring check).
    revocations: new RevocationState(new PostgresRevocationStore(deps, signingKeys.versionKey())),
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
    users: new PostgresUserStore(deps),
    state: createStateStore(config, deps.redis, env.STATE),
    login: {
      cookies: cookieSecurityFor(config.ISSUER),
      sessionPolicy: {
        idleSeconds: config.SESSION_IDLE_SECONDS,
        absoluteSeconds: config.SESSION_ABSOLUTE_SECONDS,
        touchIntervalSeconds: Math.min(300, Math.floor(config.SESSION_IDLE_SECONDS / 4)),
      },
      keys: loginKeys(config.CLIENT_CACHE_MAC_KEY),
    },
  };
}
