import type { CommonBindings } from '../../../shared/env.js';

/** Bindings of the auth Worker. Variables are strings as wrangler/workerd deliver them; src/config.ts parses them. */
export interface Env extends CommonBindings {
  /** Service binding to the policy Worker (authorizes the admin endpoints). */
  POLICY?: Fetcher;
  /** Bearer token the policy Worker requires on /v1/authorize, when it is configured with one. */
  POLICY_API_TOKEN?: string;
  ISSUER?: string;
  KEY_ENCRYPTION_KEY?: string;
  KEK_ID?: string;
  SIGNING_ALG?: string;
  ACCESS_TOKEN_TTL_SECONDS?: string;
  ACCESS_TOKEN_MAX_TTL_SECONDS?: string;
  KEY_ROTATION_INTERVAL_SECONDS?: string;
  KEY_PUBLISH_LEAD_SECONDS?: string;
  JWKS_MAX_AGE_SECONDS?: string;
  SIGNING_KEY_CHECK_MS?: string;
  CLIENT_CACHE_TTL_MS?: string;
  REGISTRATION_TOKEN?: string;
  ALLOW_OPEN_REGISTRATION?: string;
  ADMIN_BOOTSTRAP_TOKEN?: string;
  TRUST_PROXY_HEADERS?: string;
  SCOPES_SUPPORTED?: string;
  RESOURCES_SUPPORTED?: string;
  DEFAULT_AUDIENCE?: string;
}
