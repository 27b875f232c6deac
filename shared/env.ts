/**
 * Bindings and configuration every Worker shares. Service-specific specs extend `commonSpec`.
 *
 * Postgres: DATABASE_URL is an ordinary postgres:// URL. On Cloudflare it points at Neon; off Cloudflare,
 * PG_WS_PROXY names the project's WebSocket bridge (host:port/path) that the Neon driver connects through.
 * Redis: the Upstash REST URL and token; off Cloudflare they point at the project's Upstash-protocol bridge.
 */
import { bool, defineConfig, int, list, oneOf, optionalStr, optionalUrl, str, url } from './config.js';

export const commonSpec = {
  ENVIRONMENT: oneOf(['production', 'staging', 'development', 'test'] as const, { default: 'production' }),
  DATABASE_URL: url({ protocols: ['postgres:', 'postgresql:'] }),
  PG_WS_PROXY: optionalStr(),
  /** PEM CA certificate(s) for Postgres TLS through PG_WS_PROXY, required when DATABASE_URL has an sslmode (db/tls.ts). */
  PG_ROOT_CERTS: optionalStr(),
  UPSTASH_REDIS_REST_URL: url({ protocols: ['http:', 'https:'] }),
  UPSTASH_REDIS_REST_TOKEN: str({ minLength: 1 }),
  /** Prefix for every Redis key, so test runs and tenants sharing one Redis never collide. */
  REDIS_KEY_PREFIX: str({ default: '' }),
  SENTRY_DSN: optionalUrl({ protocols: ['https:', 'http:'] }),
  METRICS_TOKEN: optionalStr({ minLength: 16 }),
  CORS_ORIGINS: list(),
  MAX_BODY_BYTES: int({ default: 64 * 1024, min: 1024, max: 10 * 1024 * 1024 }),
  READY_TIMEOUT_MS: int({ default: 1500, min: 100, max: 10_000 }),
  SERVICE_TIMEOUT_MS: int({ default: 2000, min: 50, max: 30_000 }),
  LOG_REQUESTS: bool({ default: true }),
};

export const readCommonConfig = defineConfig(commonSpec);
export type CommonConfig = ReturnType<typeof readCommonConfig>;

/** Raw bindings shape shared by all Workers (strings as wrangler/workerd deliver them). */
export interface CommonBindings {
  ENVIRONMENT?: string;
  DATABASE_URL?: string;
  PG_WS_PROXY?: string;
  PG_ROOT_CERTS?: string;
  UPSTASH_REDIS_REST_URL?: string;
  UPSTASH_REDIS_REST_TOKEN?: string;
  REDIS_KEY_PREFIX?: string;
  SENTRY_DSN?: string;
  METRICS_TOKEN?: string;
  CORS_ORIGINS?: string;
  MAX_BODY_BYTES?: string;
  READY_TIMEOUT_MS?: string;
  SERVICE_TIMEOUT_MS?: string;
  LOG_REQUESTS?: string;
  /** Service binding to the monitor Worker (security events). */
  MONITOR?: Fetcher;
}
