/**
 * The auth Worker's Hono context type and the accessors handlers use to reach configuration, so every module
 * (including the rate limiter's) reads settings the same way.
 */
import type { ServiceContext } from '../../../shared/app.js';
import { type CommonConfig, readCommonConfig } from '../../../shared/env.js';
import { type AuthSettings, readAuthConfig } from './config.js';
import { clientIp } from './domain/client-ip.js';
import type { Env } from './env.js';

export type AuthContext = ServiceContext<Env>;

/** Common and auth-specific settings together. */
export type AuthConfig = CommonConfig & AuthSettings;

const merged = new WeakMap<object, AuthConfig>();

export function readConfig(env: object): AuthConfig {
  const hit = merged.get(env);
  if (hit) return hit;
  const config = Object.freeze({ ...readCommonConfig(env), ...readAuthConfig(env) });
  merged.set(env, config);
  return config;
}

export function authConfig(c: AuthContext): AuthConfig {
  return readConfig(c.env as object);
}

/** The caller's IP for rate limits and security events (see domain/client-ip.ts for the trust rules). */
export function requestIp(c: AuthContext): string {
  // Asked several times per request (rate limit, security events); reading `request.cf` is not free in workerd.
  // An incoming request's headers and cf are immutable, so the answer cannot change within the request.
  const req = c.req.raw;
  let ip = ips.get(req);
  if (ip === undefined) {
    ip = clientIp(req, authConfig(c).TRUST_PROXY_HEADERS);
    ips.set(req, ip);
  }
  return ip;
}

const ips = new WeakMap<Request, string>();
