/**
 * The admin Worker's variables: the one declaration of every name it reads (see workers/auth/src/variables.ts for
 * what the declaration feeds). Pure data: the scripts evaluate this module in Node.
 */
import { int, optionalStr, optionalUrl } from '../../../shared/config.js';
import { adminCredentialVariables, commonVariables, policyApiVariables } from '../../../shared/env.js';

export const variables = {
  ...commonVariables,
  ...policyApiVariables,
  ...adminCredentialVariables,
  /** Longest lifetime of an operator API token (`POST /v1/tokens`), in seconds (default 90 days). */
  ADMIN_TOKEN_MAX_TTL_SECONDS: int({ default: 7_776_000, min: 60, max: 31_536_000 }),
  // ---- the dashboard (/dashboard): an OpenID Connect confidential client of the auth Worker ----
  /** The auth Worker's issuer URL as browsers reach it (the ID token's `iss`). Unset: the dashboard is off. */
  DASHBOARD_ISSUER: optionalUrl(),
  /** The dashboard's client id at the auth Worker (authorization_code, client_secret_basic). */
  DASHBOARD_CLIENT_ID: optionalStr({ minLength: 1 }),
  /** Its client secret (a secret). */
  DASHBOARD_CLIENT_SECRET: optionalStr({ minLength: 16 }),
  /** Lifetime of a dashboard session (the operator API token it holds), in seconds. */
  DASHBOARD_SESSION_SECONDS: int({ default: 3600, min: 60, max: 43_200 }),
};
