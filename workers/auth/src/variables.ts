/**
 * The auth Worker's variables: the one declaration of every name it reads, with its parser and default. It gives
 * the Worker's `Env` type and configuration reader (env.ts), the variables the generated workerd config binds and
 * `npm start` passes on (scripts/lib/workers.mjs), and what `npm run k8s:check` requires. Pure data: the scripts
 * evaluate this module in Node.
 */
import {
  bool,
  ConfigError,
  decimal,
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

/**
 * Key material as base64 (standard or url alphabet): exactly `exact` bytes (the AES-256-GCM key-encryption key) or at
 * least `min` (an HMAC key). A secret: messages give sizes, never the value.
 */
function keyBytes(size: { exact: number } | { min: number }): Field<Uint8Array> {
  return scalar((text, name) => {
    let bytes: Uint8Array;
    try {
      const b64 = text.trim().replace(/-/g, '+').replace(/_/g, '/');
      const binary = atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, '='));
      bytes = Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
    } catch {
      throw new ConfigError(name, 'must be base64');
    }
    if ('exact' in size && bytes.byteLength !== size.exact) {
      throw new ConfigError(name, `must decode to ${size.exact} bytes, got ${bytes.byteLength}`);
    }
    if ('min' in size && bytes.byteLength < size.min) {
      throw new ConfigError(name, `must decode to at least ${size.min} bytes, got ${bytes.byteLength}`);
    }
    return bytes;
  });
}

/**
 * Retired key-encryption keys: `<kek-id>:<base64 of 32 bytes>` entries, comma-separated. Kept for decryption only
 * (keys/domain/key-encryption-keys.ts).
 */
function retiredKeks(): Field<ReadonlyMap<string, Uint8Array>> {
  const key = keyBytes({ exact: 32 });
  return {
    parse(raw, name) {
      const out = new Map<string, Uint8Array>();
      for (const entry of list().parse(raw, name)) {
        const colon = entry.indexOf(':');
        if (colon <= 0) throw new ConfigError(name, 'entries must be <kek-id>:<base64 key>');
        out.set(entry.slice(0, colon), key.parse(entry.slice(colon + 1), name));
      }
      return out;
    },
  };
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
  KEY_ENCRYPTION_KEY: keyBytes({ exact: 32 }),
  /**
   * HMAC key sealing the client records cached in Redis (a secret, base64 of at least 32 random bytes): only the
   * auth Worker holds it, so whoever can write Redis still cannot mint or alter a client (clients/domain/cache-seal.ts).
   * Changing it only makes cached records reload from Postgres once.
   */
  CLIENT_CACHE_MAC_KEY: keyBytes({ min: 32 }),
  /** Names the KEK; stored beside each encrypted key so a future KEK rotation can tell which key to use. */
  KEK_ID: str({ default: 'kek-1' }),
  /**
   * After a KEK rotation (a new KEY_ENCRYPTION_KEY under a new KEK_ID), the previous KEKs as `<kek-id>:<base64>`
   * entries (a secret): what was sealed under them still opens. TOTP secrets move to the current KEK when next used;
   * signing keys sealed under one keep signing until they rotate out. Optional.
   */
  KEY_ENCRYPTION_KEYS_RETIRED: retiredKeks(),
  SIGNING_ALG: oneOf(['ES256', 'EdDSA'] as const, { default: 'ES256' }),
  /** Lifetime of access tokens for clients that do not set their own (`access_token_lifetime`). */
  ACCESS_TOKEN_TTL_SECONDS: int({ default: 600, min: 30, max: ABSOLUTE_MAX_TOKEN_TTL_SECONDS }),
  /** Upper bound of any client's token lifetime; retired keys stay published at least this long. */
  ACCESS_TOKEN_MAX_TTL_SECONDS: int({ default: 3600, min: 30, max: ABSOLUTE_MAX_TOKEN_TTL_SECONDS }),
  /**
   * Refresh-token families (refresh/): a family unused this long ends (idle lifetime, default 14 days), and no family
   * outlives REFRESH_TOKEN_ABSOLUTE_SECONDS from its start (default 90 days), however often it rotates. A client's
   * `refresh_token_idle_lifetime` / `refresh_token_absolute_lifetime` may only shorten them.
   */
  REFRESH_TOKEN_IDLE_SECONDS: int({ default: 14 * 86_400, min: 1, max: 365 * 86_400 }),
  REFRESH_TOKEN_ABSOLUTE_SECONDS: int({ default: 90 * 86_400, min: 1, max: 365 * 86_400 }),
  /**
   * The honest-retry window: the token just superseded, presented again this soon after its rotation and while its
   * successor is unused, gets that same successor again instead of revoking the family. 0 disables retries.
   */
  REFRESH_TOKEN_RETRY_WINDOW_SECONDS: int({ default: 30, min: 0, max: 300 }),
  /** How long a key signs before the next one takes over (default 30 days). */
  KEY_ROTATION_INTERVAL_SECONDS: int({ default: 30 * 86_400, min: 60, max: 365 * 86_400 }),
  /** How long a new key is published in the JWKS before it signs (default 1 day). */
  KEY_PUBLISH_LEAD_SECONDS: int({ default: 86_400, min: 0, max: 30 * 86_400 }),
  /** Upper bound of the JWKS `max-age`; the effective value is also bounded by KEY_PUBLISH_LEAD_SECONDS. */
  JWKS_MAX_AGE_SECONDS: int({ default: 600, min: 0, max: 86_400 }),
  /** How often an isolate asks Redis whether the key set changed (`keys:version`). */
  SIGNING_KEY_CHECK_MS: int({ default: 5_000, min: 100, max: 300_000 }),
  /**
   * The revocation lease (tokens/domain/revocation-lease.ts): a revocation, an emergency key rotation or a refresh
   * token's reuse is acknowledged this long after it reaches Redis, and an isolate answers introspection from memory
   * while its last full read of the denylist's change log is younger than this. 0: every introspection reads Redis.
   */
  REVOCATION_LEASE_MS: int({ default: 200, min: 0, max: 2_000 }),
  /** Bound on how long an isolate serves a cached client record before re-checking its Redis version key. */
  CLIENT_CACHE_TTL_MS: int({ default: 1_000, min: 0, max: 60_000 }),
  /** Initial access token for RFC 7591 registration (a secret). When set, registration requires it. */
  REGISTRATION_TOKEN: optionalStr({ minLength: 16 }),
  /** Allows registration without an initial access token (only when REGISTRATION_TOKEN is unset). */
  ALLOW_OPEN_REGISTRATION: bool({ default: false }),
  /** Lifetime of a registration access token (RFC 7592), renewed with each rotation: default 90 days. */
  REGISTRATION_ACCESS_TOKEN_TTL_SECONDS: int({ default: 90 * 86_400, min: 3_600, max: 5 * 365 * 86_400 }),
  /**
   * Server-wide allow-lists, set per deployment (the shipped wrangler.toml and k8s auth.env carry placeholders):
   * registration and every RFC 7592 update must stay within them, whoever asks. SCOPES_SUPPORTED is also advertised
   * as `scopes_supported`. Empty means no server-wide restriction (each client's approved ceiling still applies).
   */
  SCOPES_SUPPORTED: scopeList(),
  /** The RFC 8707 resources (token audiences) clients may be allowed (see SCOPES_SUPPORTED). */
  RESOURCES_SUPPORTED: list(),
  /** `aud` of tokens requested without `resource` by a client with no allowed resources (default: the issuer). */
  DEFAULT_AUDIENCE: optionalStr(),
  /** Self-service sign-up on the hosted pages. Off by default; `npm start` turns it on. */
  SIGN_UP_ENABLED: bool({ default: false }),
  /** A browser session ends after this long without use (default 3 days)... */
  SESSION_IDLE_SECONDS: int({ default: 3 * 86_400, min: 300, max: 90 * 86_400 }),
  /** ... or this long after sign-in, whichever comes first (default 30 days). */
  SESSION_ABSOLUTE_SECONDS: int({ default: 30 * 86_400, min: 600, max: 365 * 86_400 }),
  /**
   * Sign-in and sign-up posts per client address (IPv6 per /64), a token bucket on the shared limiter: bounds the
   * password-hashing work one address can cause. Failure counters (login/domain/throttle.ts) come on top.
   */
  LOGIN_RATE_LIMIT_IP_CAPACITY: int({ default: 30, min: 1, max: 1_000_000 }),
  LOGIN_RATE_LIMIT_IP_REFILL_PER_SECOND: decimal({ default: 0.5, min: 0.0001, max: 1_000_000 }),
  /**
   * Second-factor attempts per user (mfa/domain/throttle.ts), counted apart from password failures: a burst of
   * MFA_RATE_LIMIT_CAPACITY codes, then MFA_RATE_LIMIT_REFILL_PER_SECOND more per second (default one a minute).
   */
  MFA_RATE_LIMIT_CAPACITY: int({ default: 5, min: 1, max: 100 }),
  MFA_RATE_LIMIT_REFILL_PER_SECOND: decimal({ default: 1 / 60, min: 0.0001, max: 10 }),
  /** The issuer name authenticator apps show beside a TOTP entry. */
  MFA_TOTP_ISSUER: str({ default: 'Edge Security' }),
  /** WebAuthn relying party: its id (a domain; default the ISSUER's host) and the name authenticators show. */
  WEBAUTHN_RP_ID: optionalStr(),
  WEBAUTHN_RP_NAME: str({ default: 'Edge Security' }),
  /** Origins passkey ceremonies may come from (default the ISSUER's origin: the hosted pages). */
  WEBAUTHN_ORIGINS: list({ default: [] }),
  /** Lifetime of ID tokens. */
  ID_TOKEN_TTL_SECONDS: int({ default: 300, min: 60, max: 3600 }),
};
