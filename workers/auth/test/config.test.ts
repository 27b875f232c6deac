import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../shared/config.js';
import { jwksMaxAge, readAuthConfig } from '../src/config.js';

const KEK = btoa(String.fromCharCode(...new Uint8Array(32).fill(7)));
const base = { ISSUER: 'https://auth.example.com', KEY_ENCRYPTION_KEY: KEK };

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

  it('names the bad variable', () => {
    expect(variableOf({ KEY_ENCRYPTION_KEY: KEK })).toBe('ISSUER');
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
