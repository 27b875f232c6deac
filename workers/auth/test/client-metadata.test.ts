import { describe, expect, it } from 'vitest';
import {
  ClientMetadataError,
  isAcceptableRedirectUri,
  type MetadataPolicy,
  parseRateLimit,
  validateClientMetadata,
} from '../src/clients/domain/client-metadata.js';
import { InvalidTargetError, resolveAudience } from '../src/tokens/domain/resource.js';

const open: MetadataPolicy = { maxTokenLifetime: 3600, scopesSupported: [], resourcesSupported: [], privileged: false };

function error(doc: unknown, policy = open): ClientMetadataError {
  try {
    validateClientMetadata(doc, policy);
  } catch (err) {
    if (err instanceof ClientMetadataError) return err;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(doc)}`);
}

describe('validateClientMetadata', () => {
  it('fills RFC 7591 defaults for an empty document', () => {
    expect(validateClientMetadata({}, open)).toEqual({
      redirect_uris: [],
      grant_types: ['client_credentials'],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: '',
      allowed_resources: [],
    });
  });

  it('keeps known fields, normalizes scope, ignores unknown and unused ones', () => {
    const md = validateClientMetadata(
      {
        client_name: 'Billing API client',
        token_endpoint_auth_method: 'client_secret_post',
        scope: 'read write read',
        allowed_resources: ['https://api.example.com', 'urn:example:billing'],
        access_token_lifetime: 300,
        contacts: ['ops@example.com'],
        client_uri: 'https://example.com',
        jwks_uri: 'https://example.com/jwks',
        software_statement: 'eyJ...',
        made_up: true,
      },
      open,
    );
    expect(md).toEqual({
      redirect_uris: [],
      grant_types: ['client_credentials'],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_post',
      scope: 'read write',
      allowed_resources: ['https://api.example.com', 'urn:example:billing'],
      access_token_lifetime: 300,
      client_name: 'Billing API client',
      client_uri: 'https://example.com',
      contacts: ['ops@example.com'],
    });
  });

  it('accepts only the client_credentials grant and no response types', () => {
    expect(error({ grant_types: ['authorization_code'] }).error).toBe('invalid_client_metadata');
    expect(error({ grant_types: ['client_credentials', 'refresh_token'] }).error).toBe('invalid_client_metadata');
    expect(error({ grant_types: [] }).error).toBe('invalid_client_metadata');
    expect(error({ grant_types: 'client_credentials' }).error).toBe('invalid_client_metadata');
    expect(error({ response_types: ['code'] }).error).toBe('invalid_client_metadata');
  });

  it('accepts only client_secret_basic and client_secret_post', () => {
    for (const method of ['none', 'private_key_jwt', 'client_secret_jwt', 42]) {
      expect(error({ token_endpoint_auth_method: method }).error).toBe('invalid_client_metadata');
    }
  });

  it('answers invalid_redirect_uri for bad redirect URIs', () => {
    for (const uri of [
      'not a url',
      'http://example.com/cb',
      'https://example.com/cb#frag',
      'javascript:alert(1)',
      'myapp:/cb',
    ]) {
      expect(error({ redirect_uris: [uri] }).error, uri).toBe('invalid_redirect_uri');
    }
    expect(error({ redirect_uris: 'https://example.com' }).error).toBe('invalid_redirect_uri');
    expect(isAcceptableRedirectUri('http://127.0.0.1:8765/cb')).toBe(true);
    expect(isAcceptableRedirectUri('com.example.app:/cb')).toBe(true);
  });

  it('checks scope syntax and the supported scopes', () => {
    expect(error({ scope: 'read  write' }).error).toBe('invalid_client_metadata');
    expect(error({ scope: 7 }).error).toBe('invalid_client_metadata');
    const restricted = { ...open, scopesSupported: ['read', 'write'] };
    expect(validateClientMetadata({ scope: 'write' }, restricted).scope).toBe('write');
    expect(error({ scope: 'admin' }, restricted).message).toMatch(/admin/);
  });

  it('checks resources and the supported resources', () => {
    expect(error({ allowed_resources: ['relative/path'] }).error).toBe('invalid_client_metadata');
    expect(error({ allowed_resources: ['https://api.example.com#x'] }).error).toBe('invalid_client_metadata');
    const restricted = { ...open, resourcesSupported: ['https://api.example.com'] };
    expect(error({ allowed_resources: ['https://other.example.com'] }, restricted).error).toBe(
      'invalid_client_metadata',
    );
  });

  it('bounds the token lifetime', () => {
    expect(error({ access_token_lifetime: 29 }).error).toBe('invalid_client_metadata');
    expect(error({ access_token_lifetime: 3601 }).error).toBe('invalid_client_metadata');
    expect(error({ access_token_lifetime: 60.5 }).error).toBe('invalid_client_metadata');
    expect(validateClientMetadata({ access_token_lifetime: 3600 }, open).access_token_lifetime).toBe(3600);
  });

  it('bounds the refresh-token lifetimes a client may register', () => {
    for (const field of ['refresh_token_idle_lifetime', 'refresh_token_absolute_lifetime']) {
      expect(error({ [field]: 0 }).error).toBe('invalid_client_metadata');
      expect(error({ [field]: 365 * 86_400 + 1 }).error).toBe('invalid_client_metadata');
      expect(error({ [field]: '3600' }).error).toBe('invalid_client_metadata');
      expect(validateClientMetadata({ [field]: 3600 }, open)).toMatchObject({ [field]: 3600 });
    }
  });

  it('bounds sizes and types', () => {
    expect(error(null).error).toBe('invalid_client_metadata');
    expect(error([]).error).toBe('invalid_client_metadata');
    expect(error({ client_name: 'x'.repeat(257) }).error).toBe('invalid_client_metadata');
    expect(error({ contacts: Array.from({ length: 21 }, (_, i) => `c${i}`) }).error).toBe('invalid_client_metadata');
    expect(error({ client_uri: 'ftp://example.com' }).error).toBe('invalid_client_metadata');
  });

  it('lets only the initial-access-token holder set rate_limit', () => {
    expect(error({ rate_limit: { capacity: 10, refill_per_second: 1 } }).message).toMatch(/initial access token/);
    expect(() =>
      validateClientMetadata({ rate_limit: { capacity: 10, refill_per_second: 1 } }, { ...open, privileged: true }),
    ).not.toThrow();
    expect(parseRateLimit({ capacity: 10, refill_per_second: 0.5 })).toEqual({ capacity: 10, refillPerSecond: 0.5 });
    expect(() => parseRateLimit({ capacity: 0, refill_per_second: 1 })).toThrow(ClientMetadataError);
    expect(() => parseRateLimit({ capacity: 5, refill_per_second: -1 })).toThrow(ClientMetadataError);
  });
});

describe('resolveAudience (RFC 8707)', () => {
  const allowed = ['https://a.example.com', 'https://b.example.com'];
  it('returns the requested resources when allowed', () => {
    expect(resolveAudience(['https://a.example.com'], allowed, 'dflt')).toBe('https://a.example.com');
    expect(resolveAudience(['https://a.example.com', 'https://b.example.com'], allowed, 'dflt')).toEqual(allowed);
  });
  it('refuses resources outside the allow-list or malformed', () => {
    expect(() => resolveAudience(['https://c.example.com'], allowed, 'dflt')).toThrow(InvalidTargetError);
    expect(() => resolveAudience(['https://a.example.com/'], allowed, 'dflt')).toThrow(InvalidTargetError);
    expect(() => resolveAudience(['https://a.example.com#f'], [...allowed, 'https://a.example.com#f'], 'dflt')).toThrow(
      InvalidTargetError,
    );
  });
  it('uses the only allowed resource or the default, and requires a choice among several', () => {
    expect(resolveAudience([], ['https://a.example.com'], 'dflt')).toBe('https://a.example.com');
    expect(resolveAudience([], [], 'dflt')).toBe('dflt');
    expect(() => resolveAudience([], allowed, 'dflt')).toThrow(InvalidTargetError);
  });
});
