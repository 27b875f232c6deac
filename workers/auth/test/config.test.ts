import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../shared/config.js';
import { jwksMaxAge } from '../src/discovery/domain/metadata.js';
import { readAuthConfig } from '../src/env.js';
import { endpointLimits } from '../src/rate-limit/domain/limits.js';
import { variables } from '../src/variables.js';

const KEK = btoa(String.fromCharCode(...new Uint8Array(32).fill(7)));
// The auth Worker's configuration includes the common variables; these are the required ones.
const base = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:9/none',
  UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9',
  UPSTASH_REDIS_REST_TOKEN: 'unused',
  ISSUER: 'https://auth.example.com',
  KEY_ENCRYPTION_KEY: KEK,
  CLIENT_CACHE_MAC_KEY: KEK,
};

function variableOf(env: Record<string, string>): string {
  try {
    readAuthConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.variable;
    throw err;
  }
  throw new Error('accepted');
}

describe('auth configuration', () => {
  it('parses defaults', () => {
    const config = readAuthConfig({ ...base });
    expect(config.SIGNING_ALG).toBe('ES256');
    expect(config.ACCESS_TOKEN_TTL_SECONDS).toBe(600);
    expect(config.ALLOW_OPEN_REGISTRATION).toBe(false);
    expect(config.TRUST_PROXY_HEADERS).toBe(false);
    expect(config.KEY_ENCRYPTION_KEY.byteLength).toBe(32);
    expect(jwksMaxAge(config)).toBe(600);
    expect(jwksMaxAge({ JWKS_MAX_AGE_SECONDS: 600, KEY_PUBLISH_LEAD_SECONDS: 30 })).toBe(30);
  });

  it('reads retired KEKs as <kek-id>:<base64> entries, each exactly 32 bytes', () => {
    expect(readAuthConfig({ ...base }).KEY_ENCRYPTION_KEYS_RETIRED.size).toBe(0);
    const retired = readAuthConfig({
      ...base,
      KEY_ENCRYPTION_KEYS_RETIRED: `kek-0:${KEK}, kek-old:${KEK}`,
    }).KEY_ENCRYPTION_KEYS_RETIRED;
    expect([...retired.keys()]).toEqual(['kek-0', 'kek-old']);
    expect(retired.get('kek-0')?.byteLength).toBe(32);
    expect(variableOf({ ...base, KEY_ENCRYPTION_KEYS_RETIRED: KEK })).toBe('KEY_ENCRYPTION_KEYS_RETIRED');
    expect(variableOf({ ...base, KEY_ENCRYPTION_KEYS_RETIRED: `kek-0:${btoa('short')}` })).toBe(
      'KEY_ENCRYPTION_KEYS_RETIRED',
    );
  });

  it('names the bad variable', () => {
    expect(variableOf({ ...base, ISSUER: '' })).toBe('ISSUER');
    expect(variableOf({ ...base, ISSUER: 'http://auth.example.com' })).toBe('ISSUER');
    expect(variableOf({ ...base, ISSUER: 'https://auth.example.com/tenant' })).toBe('ISSUER');
    expect(variableOf({ ...base, ISSUER: 'https://auth.example.com?x=1' })).toBe('ISSUER');
    expect(variableOf({ ...base, KEY_ENCRYPTION_KEY: btoa('short') })).toBe('KEY_ENCRYPTION_KEY');
    expect(variableOf({ ...base, SIGNING_ALG: 'RS256' })).toBe('SIGNING_ALG');
    expect(variableOf({ ...base, ACCESS_TOKEN_TTL_SECONDS: '7200' })).toBe('ACCESS_TOKEN_TTL_SECONDS');
    expect(variableOf({ ...base, ACCESS_TOKEN_MAX_TTL_SECONDS: '100000' })).toBe('ACCESS_TOKEN_MAX_TTL_SECONDS');
    expect(variableOf({ ...base, KEY_PUBLISH_LEAD_SECONDS: '100', KEY_ROTATION_INTERVAL_SECONDS: '100' })).toBe(
      'KEY_PUBLISH_LEAD_SECONDS',
    );
    expect(variableOf({ ...base, REGISTRATION_TOKEN: 'short' })).toBe('REGISTRATION_TOKEN');
    // The client-cache MAC key is required and must be at least 32 bytes.
    expect(variableOf({ ...base, CLIENT_CACHE_MAC_KEY: '' })).toBe('CLIENT_CACHE_MAC_KEY');
    expect(variableOf({ ...base, CLIENT_CACHE_MAC_KEY: btoa('sixteen-bytes!!!') })).toBe('CLIENT_CACHE_MAC_KEY');
    expect(
      readAuthConfig({ ...base, CLIENT_CACHE_MAC_KEY: btoa('x'.repeat(48)) }).CLIENT_CACHE_MAC_KEY.byteLength,
    ).toBe(48);
  });

  it('never echoes the value of a URL (it may carry a password) in a configuration error', () => {
    const secret = 'pw-do-not-echo';
    for (const url of [`postgres://u:${secret}@db.internal:notaport/x`, `https://u:${secret}@db.internal/x`]) {
      try {
        readAuthConfig({ ...base, DATABASE_URL: url });
        throw new Error('accepted');
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        expect((err as ConfigError).variables).toEqual(['DATABASE_URL']);
        expect((err as Error).message).not.toContain(secret);
        expect((err as Error).message).not.toContain('db.internal');
      }
    }
  });

  it('reads SCOPES_SUPPORTED separated by spaces or commas, and checks the syntax', () => {
    expect(readAuthConfig({ ...base, SCOPES_SUPPORTED: 'read write' }).SCOPES_SUPPORTED).toEqual(['read', 'write']);
    expect(readAuthConfig({ ...base, SCOPES_SUPPORTED: 'read, write,admin' }).SCOPES_SUPPORTED).toEqual([
      'read',
      'write',
      'admin',
    ]);
    expect(variableOf({ ...base, SCOPES_SUPPORTED: 'read "quoted"' })).toBe('SCOPES_SUPPORTED');
  });

  it('accepts http for loopback issuers (local use)', () => {
    expect(readAuthConfig({ ...base, ISSUER: 'http://127.0.0.1:8080' }).ISSUER).toBe('http://127.0.0.1:8080');
    expect(readAuthConfig({ ...base, ISSUER: 'http://localhost:8080/' }).ISSUER).toBe('http://localhost:8080/');
  });
});

describe('rate-limit configuration', () => {
  const rateLimitVariables = Object.keys(variables).filter((n) => n.startsWith('RATE_LIMIT_'));

  it('has defaults for every variable, and STATE_BACKEND selects the bucket store', () => {
    const config = readAuthConfig({ ...base });
    expect(config.STATE_BACKEND).toBe('durable-object');
    expect(rateLimitVariables.length).toBeGreaterThan(20);
    for (const name of rateLimitVariables) {
      if (name !== 'RATE_LIMIT_BACKEND') expect(config[name as keyof typeof config]).toBeDefined();
    }
    expect(readAuthConfig({ ...base, STATE_BACKEND: 'redis' }).STATE_BACKEND).toBe('redis');
  });

  it('accepts RATE_LIMIT_BACKEND as the former name of STATE_BACKEND, and refuses the two disagreeing', () => {
    expect(readAuthConfig({ ...base, RATE_LIMIT_BACKEND: 'redis' }).STATE_BACKEND).toBe('redis');
    expect(readAuthConfig({ ...base, RATE_LIMIT_BACKEND: 'redis', STATE_BACKEND: 'redis' }).STATE_BACKEND).toBe(
      'redis',
    );
    expect(variableOf({ ...base, RATE_LIMIT_BACKEND: 'redis', STATE_BACKEND: 'durable-object' })).toBe(
      'RATE_LIMIT_BACKEND',
    );
  });

  it('parses decimals, rejects nonsense with the variable name', () => {
    const config = readAuthConfig({ ...base, RATE_LIMIT_REGISTER_REFILL_PER_SECOND: '0.05' });
    expect(endpointLimits(config, 'register').client.refillPerSecond).toBe(0.05);
    expect(() => readAuthConfig({ ...base, RATE_LIMIT_TOKEN_REFILL_PER_SECOND: '-1' })).toThrow(
      /RATE_LIMIT_TOKEN_REFILL_PER_SECOND/,
    );
    expect(() => readAuthConfig({ ...base, RATE_LIMIT_TOKEN_REFILL_PER_SECOND: '0' })).toThrow(/>= 0.0001/);
    expect(variableOf({ ...base, RATE_LIMIT_IP_TOKEN_CAPACITY: '0' })).toBe('RATE_LIMIT_IP_TOKEN_CAPACITY');
    expect(() => readAuthConfig({ ...base, RATE_LIMIT_BACKEND: 'memcached' })).toThrow(/durable-object, redis/);
    expect(() => readAuthConfig({ ...base, STATE_BACKEND: 'memcached' })).toThrow(/durable-object, redis/);
  });
});
