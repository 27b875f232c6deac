import { describe, expect, it } from 'vitest';
import { ClientMetadataError, type MetadataPolicy } from '../../src/clients/domain/client-metadata.js';
import { validateRedirectClientMetadata } from '../../src/authorize/domain/client-registration.js';

const policy: MetadataPolicy = {
  maxTokenLifetime: 3600,
  scopesSupported: ['read', 'write'],
  resourcesSupported: [],
  privileged: false,
};

function error(doc: unknown): { error: string; message: string } {
  try {
    validateRedirectClientMetadata(doc, policy);
  } catch (err) {
    if (err instanceof ClientMetadataError) return { error: err.error, message: err.message };
    throw err;
  }
  throw new Error(`accepted: ${JSON.stringify(doc)}`);
}

describe('registration of redirect-based clients', () => {
  it('registers a web client with the code grant by default when redirect URIs are given', () => {
    const md = validateRedirectClientMetadata(
      { redirect_uris: ['https://rp.example.com/cb'], client_name: 'RP', scope: 'openid email read' },
      policy,
    );
    expect(md).toMatchObject({
      redirect_uris: ['https://rp.example.com/cb'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      application_type: 'web',
      post_logout_redirect_uris: [],
      scope: 'openid email read',
      client_name: 'RP',
    });
  });

  it('registers a public native client with refresh tokens', () => {
    const md = validateRedirectClientMetadata(
      {
        application_type: 'native',
        redirect_uris: ['http://127.0.0.1/callback', 'com.example.app:/cb'],
        post_logout_redirect_uris: ['com.example.app:/bye'],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'none',
      },
      policy,
    );
    expect(md).toMatchObject({
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      scope: 'openid',
      application_type: 'native',
    });
  });

  it('never lets a client declare itself first-party (that skips consent: an operator decision)', () => {
    const md = validateRedirectClientMetadata(
      { redirect_uris: ['https://rp.example.com/cb'], first_party: true, firstParty: true, skip_consent: true },
      policy,
    );
    expect(JSON.stringify(md)).not.toMatch(/first|skip/i);
  });

  it('keeps the client_credentials registration as it was', () => {
    const md = validateRedirectClientMetadata({ scope: 'read' }, policy);
    expect(md).toMatchObject({
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: 'read',
    });
  });

  it('refuses inconsistent or unsupported combinations', () => {
    const cases: [unknown, string][] = [
      [{ grant_types: ['implicit'], redirect_uris: ['https://rp.example.com/cb'] }, 'grant_types'],
      [{ grant_types: ['password'] }, 'grant_types'],
      [{ grant_types: [] }, 'grant_types'],
      [{ grant_types: ['refresh_token'] }, 'refresh_token needs'],
      [{ redirect_uris: ['https://rp.example.com/cb'], response_types: ['token'] }, 'response_types'],
      [{ redirect_uris: ['https://rp.example.com/cb'], response_types: ['code', 'id_token'] }, 'response_types'],
      [{ grant_types: ['client_credentials'], response_types: ['code'] }, 'response_types'],
      [{ grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' }, 'cannot be none'],
      [
        {
          grant_types: ['authorization_code', 'client_credentials'],
          redirect_uris: ['https://rp.example.com/cb'],
          token_endpoint_auth_method: 'none',
        },
        'cannot be none',
      ],
      [
        { redirect_uris: ['https://rp.example.com/cb'], token_endpoint_auth_method: 'private_key_jwt' },
        'token_endpoint_auth_method',
      ],
      [{ grant_types: ['client_credentials'], scope: 'openid' }, 'OpenID scopes'],
      [{ redirect_uris: ['https://rp.example.com/cb'], scope: 'openid admin' }, 'scope not supported'],
      [{ redirect_uris: ['https://rp.example.com/cb'], scope: 42 }, 'scope must be a string'],
      [{ redirect_uris: ['https://rp.example.com/cb'], application_type: 'desktop' }, 'application_type'],
      [
        { grant_types: ['client_credentials'], post_logout_redirect_uris: ['https://rp.example.com/bye'] },
        'post_logout',
      ],
      [
        { redirect_uris: ['https://rp.example.com/cb'], post_logout_redirect_uris: ['http://rp.example.com/bye'] },
        'post_logout',
      ],
      [null, 'JSON object'],
      [[], 'JSON object'],
    ];
    for (const [doc, fragment] of cases) {
      const e = error(doc);
      expect(e.error, JSON.stringify(doc)).toBe('invalid_client_metadata');
      expect(e.message, JSON.stringify(doc)).toContain(fragment);
    }
  });

  it('applies the redirect rules of the application type with invalid_redirect_uri', () => {
    const cases: [string, string][] = [
      ['web', 'http://rp.example.com/cb'],
      ['web', 'http://127.0.0.1/cb'],
      ['web', 'com.example.app:/cb'],
      ['web', 'https://localhost/cb'],
      ['native', 'http://localhost:8080/cb'],
      ['native', 'myapp:/cb'],
      ['native', 'javascript:alert(1)'],
      ['web', 'https://rp.example.com/cb#frag'],
      ['web', 'https://RP.example.com/cb'],
    ];
    for (const [type, uri] of cases) {
      expect(error({ application_type: type, redirect_uris: [uri] }).error, `${type} ${uri}`).toBe(
        'invalid_redirect_uri',
      );
    }
    expect(error({ redirect_uris: 'https://rp.example.com/cb' }).error).toBe('invalid_redirect_uri');
    expect(error({ grant_types: ['authorization_code'] })).toEqual({
      error: 'invalid_redirect_uri',
      message: 'redirect_uris is required for authorization_code',
    });
  });

  it('still validates the common fields through the existing rules', () => {
    const e = error({ redirect_uris: ['https://rp.example.com/cb'], client_uri: 'javascript:alert(1)' });
    expect(e.message).toContain('client_uri');
    expect(
      error({ redirect_uris: ['https://rp.example.com/cb'], rate_limit: { capacity: 1, refill_per_second: 1 } })
        .message,
    ).toContain('rate_limit');
  });
});
