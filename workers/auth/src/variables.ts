/**
 * The auth Worker's variables: the one declaration of every name it reads, with its parser and default. It gives
 * the Worker's `Env` type and configuration reader (env.ts), the variables the generated workerd config binds and
 * `npm start` passes on (scripts/lib/workers.mjs), and what `npm run k8s:check` requires. Pure data: the scripts
 * evaluate this module in Node.
 */
import {
  bool,
  ConfigError,
  type Field,
  int,
  list,
  oneOf,
  optionalStr,
  scalar,
  str,
  url,
} from '../../../shared/config.js';
import { adminCredentialVariables, commonVariables, policyApiVariables } from '../../../shared/env.js';
import { limiterVariables } from '../../../shared/rate-limit/config.js';
import { endpointLimitVariables } from './rate-limit/domain/limits.js';
import { parseScope } from './tokens/domain/scope.js';

/** Hard ceiling for any access token lifetime, whatever the configuration says (one day). */
export const ABSOLUTE_MAX_TOKEN_TTL_SECONDS = 86_400;

/**
 * The issuer identifier: an absolute https URL (http only for loopback hosts, for local use) without query,
 * fragment or path. Endpoints are served at the root of the Worker, so a path-bearing issuer would need
 * RFC 8414 path-inserted well-known URLs this Worker does not serve; it is rejected rather than half supported.
 */
function issuerUrl(): Field<string> {
  const absolute = url();
  return scalar((text, name) => {
    const value = absolute.parse(text, name);
    const parsed = new URL(value);
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
    if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback)) {
      throw new ConfigError(name, 'must use https (http is accepted for loopback hosts only)');
    }
    if (parsed.search || parsed.hash || value.includes('?') || value.includes('#')) {
      throw new ConfigError(name, 'must not contain a query or fragment (RFC 8414 §2)');
    }
    if (parsed.pathname !== '/') {
      throw new ConfigError(name, 'must not contain a path (endpoints are served at the root)');
    }
    if (parsed.username || parsed.password) throw new ConfigError(name, 'must not contain credentials');
    return value;
  });
}

/** Base64 (standard or url alphabet) of exactly 32 bytes: the AES-256-GCM key-encryption key. */
function aes256Key(): Field<Uint8Array> {
  return scalar((text, name) => {
    let bytes: Uint8Array;
    try {
      const b64 = text.trim().replace(/-/g, '+').replace(/_/g, '/');
      const binary = atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, '='));
      bytes = Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
    } catch {
      throw new ConfigError(name, 'must be base64');
    }
    if (bytes.byteLength !== 32) throw new ConfigError(name, `must decode to 32 bytes, got ${bytes.byteLength}`);
    return bytes;
  });
}

/** Scope tokens separated by spaces and/or commas, each valid per RFC 6749 §3.3. */
function scopeList(): Field<string[]> {
  return {
    parse(raw, name) {
      const text = list().parse(raw, name).join(' ').trim();
      if (text === '') return [];
      try {
        return parseScope(text.split(/\s+/).join(' '));
      } catch (err) {
        throw new ConfigError(name, (err as Error).message);
      }
    },
  };
}

export const variables = {
  ...commonVariables,
  ...policyApiVariables,
  ...adminCredentialVariables,
  ...limiterVariables,
  ...endpointLimitVariables,
  ISSUER: issuerUrl(),
  /** AES-256-GCM key-encryption key for private signing keys at rest (a secret). */
  KEY_ENCRYPTION_KEY: aes256Key(),
  /** Names the KEK; stored beside each encrypted key so a future KEK rotation can tell which key to use. */
  KEK_ID: str({ default: 'kek-1' }),
  SIGNING_ALG: oneOf(['ES256', 'EdDSA'] as const, { default: 'ES256' }),
  /** Lifetime of access tokens for clients that do not set their own (`access_token_lifetime`). */
  ACCESS_TOKEN_TTL_SECONDS: int({ default: 600, min: 30, max: ABSOLUTE_MAX_TOKEN_TTL_SECONDS }),
  /** Upper bound of any client's token lifetime; retired keys stay published at least this long. */
  ACCESS_TOKEN_MAX_TTL_SECONDS: int({ default: 3600, min: 30, max: ABSOLUTE_MAX_TOKEN_TTL_SECONDS }),
  /** How long a key signs before the next one takes over (default 30 days). */
  KEY_ROTATION_INTERVAL_SECONDS: int({ default: 30 * 86_400, min: 60, max: 365 * 86_400 }),
  /** How long a new key is published in the JWKS before it signs (default 1 day). */
  KEY_PUBLISH_LEAD_SECONDS: int({ default: 86_400, min: 0, max: 30 * 86_400 }),
  /** Upper bound of the JWKS `max-age`; the effective value is also bounded by KEY_PUBLISH_LEAD_SECONDS. */
  JWKS_MAX_AGE_SECONDS: int({ default: 600, min: 0, max: 86_400 }),
  /** How often an isolate asks Redis whether the key set changed (`keys:version`). */
  SIGNING_KEY_CHECK_MS: int({ default: 5_000, min: 100, max: 300_000 }),
  /** Bound on how long an isolate serves a cached client record before re-checking its Redis version key. */
  CLIENT_CACHE_TTL_MS: int({ default: 1_000, min: 0, max: 60_000 }),
  /** Initial access token for RFC 7591 registration (a secret). When set, registration requires it. */
  REGISTRATION_TOKEN: optionalStr({ minLength: 16 }),
  /** Allows registration without an initial access token (only when REGISTRATION_TOKEN is unset). */
  ALLOW_OPEN_REGISTRATION: bool({ default: false }),
  /** When non-empty, registered scopes must come from this list, and it is advertised as scopes_supported. */
  SCOPES_SUPPORTED: scopeList(),
  /** When non-empty, a client's `allowed_resources` must come from this list. */
  RESOURCES_SUPPORTED: list(),
  /** `aud` of tokens requested without `resource` by a client with no allowed resources (default: the issuer). */
  DEFAULT_AUDIENCE: optionalStr(),
};
