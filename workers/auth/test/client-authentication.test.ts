import { describe, expect, it } from 'vitest';
import { hashSecret } from '../../../shared/crypto.js';
import {
  BASIC_CHALLENGE,
  ClientAuthenticationError,
  decodeStoredHash,
  formUrlDecode,
  parseBasicCredentials,
  parseClientCredentials,
  verifyClientSecret,
} from '../src/clients/domain/client-authentication.js';

const form = (entries: Record<string, string>) => new Map(Object.entries(entries).map(([k, v]) => [k, [v]]));
/** Basic credentials the way RFC 6749 §2.3.1 builds them: form-urlencode each part, then base64. */
const basic = (id: string, secret: string) => {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  const bytes = new TextEncoder().encode(`${enc(id)}:${enc(secret)}`);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
};

function failure(fn: () => unknown): ClientAuthenticationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ClientAuthenticationError) return err;
    throw err;
  }
  throw new Error('expected a ClientAuthenticationError');
}

describe('client_secret_basic', () => {
  it('decodes form-urlencoded id and secret inside Basic (RFC 6749 §2.3.1)', () => {
    const creds = parseClientCredentials(
      basic('my client:1', 'p+ss%wörd:x'),
      form({ grant_type: 'client_credentials' }),
    );
    expect(creds).toEqual({ method: 'client_secret_basic', clientId: 'my client:1', clientSecret: 'p+ss%wörd:x' });
  });

  it('reads + as a space and %XX as octets', () => {
    const header = `Basic ${btoa('a+b%2Bc:s%3As+t')}`;
    expect(parseBasicCredentials(header)).toEqual({ clientId: 'a b+c', clientSecret: 's:s t' });
    expect(formUrlDecode('%E2%82%AC')).toBe('€');
  });

  it('decodes raw (not percent-encoded) UTF-8 octets inside Basic', () => {
    const bytes = new TextEncoder().encode('clïent:sécret€');
    expect(parseBasicCredentials(`Basic ${btoa(String.fromCharCode(...bytes))}`)).toEqual({
      clientId: 'clïent',
      clientSecret: 'sécret€',
    });
  });

  it('accepts the scheme case-insensitively', () => {
    expect(parseBasicCredentials(`bAsIc ${btoa('id:secret')}`).clientId).toBe('id');
  });

  it('rejects malformed Basic headers as invalid_client with a Basic challenge', () => {
    for (const header of [
      'Basic',
      'Basic !!!!',
      `Basic ${btoa('no-colon')}`,
      `Basic ${btoa(':secret')}`,
      `Basic ${btoa('id:')}`,
      `Basic ${btoa('id:%ZZ')}`,
      `Basic ${btoa('id:secret')}x`,
      `Basic ${btoa('\xff\xfe:secret')}`,
    ]) {
      const err = failure(() => parseClientCredentials(header, form({})));
      expect(err.oauthError, header).toBe('invalid_client');
      expect(err.status).toBe(401);
      expect(err.headers['www-authenticate']).toMatch(/^Basic /);
    }
  });

  it('rejects other schemes', () => {
    expect(failure(() => parseClientCredentials('Bearer abc', form({}))).code).toBe('ERR_CLIENT_AUTH_SCHEME');
  });

  it('refuses two methods at once (RFC 6749 §2.3) as invalid_request', () => {
    const err = failure(() => parseClientCredentials(basic('id', 'secret'), form({ client_secret: 'secret' })));
    expect(err.oauthError).toBe('invalid_request');
    expect(err.status).toBe(400);
  });

  it('tolerates a matching client_id in the body, refuses a different one', () => {
    expect(parseClientCredentials(basic('id', 's'), form({ client_id: 'id' })).clientId).toBe('id');
    expect(failure(() => parseClientCredentials(basic('id', 's'), form({ client_id: 'other' }))).code).toBe(
      'ERR_CLIENT_AUTH_MISMATCH',
    );
  });
});

describe('client_secret_post', () => {
  it('reads client_id and client_secret from the form', () => {
    expect(parseClientCredentials(undefined, form({ client_id: 'id', client_secret: 's' }))).toEqual({
      method: 'client_secret_post',
      clientId: 'id',
      clientSecret: 's',
    });
  });

  it('requires both, and some authentication at all', () => {
    const missing = failure(() => parseClientCredentials(undefined, form({})));
    expect(missing.code).toBe('ERR_CLIENT_AUTH_MISSING');
    expect(missing.headers['www-authenticate']).toMatch(/^Basic /);
    const publicClient = failure(() => parseClientCredentials('', form({ client_id: 'id' })));
    expect(publicClient.code).toBe('ERR_CLIENT_AUTH_PUBLIC');
    // Every 401 carries a challenge (RFC 9110 §15.5.2), client_secret_post shapes included: Basic is the one HTTP
    // scheme the endpoints support.
    expect(publicClient.status).toBe(401);
    expect(publicClient.headers).toEqual({ 'www-authenticate': BASIC_CHALLENGE });
    const secretOnly = failure(() => parseClientCredentials(undefined, form({ client_secret: 's' })));
    expect(secretOnly.oauthError).toBe('invalid_client');
    expect(secretOnly.headers).toEqual({ 'www-authenticate': BASIC_CHALLENGE });
    expect(
      failure(() => parseClientCredentials(undefined, form({ client_id: 'x'.repeat(300), client_secret: 's' }))).code,
    ).toBe('ERR_CLIENT_AUTH_MALFORMED');
  });
});

describe('verifyClientSecret', () => {
  it('matches only the right secret against its stored SHA-256 hash', async () => {
    const stored = await hashSecret('correct horse');
    expect(await verifyClientSecret('correct horse', stored)).toBe(true);
    expect(await verifyClientSecret('correct hors', stored)).toBe(false);
    expect(await verifyClientSecret('correct horse ', stored)).toBe(false);
    expect(await verifyClientSecret('correct horse', null)).toBe(false);
    expect(await verifyClientSecret('correct horse', '')).toBe(false);
    expect(await verifyClientSecret('x', '!!not base64!!')).toBe(false);
  });

  it('accepts the stored hash already decoded, with the same result', async () => {
    const stored = await hashSecret('correct horse');
    const bytes = decodeStoredHash(stored);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(await verifyClientSecret('correct horse', bytes)).toBe(true);
    expect(await verifyClientSecret('correct hors', bytes)).toBe(false);
    expect(await verifyClientSecret('correct horse', bytes?.subarray(1))).toBe(false);
    expect(decodeStoredHash('!!not base64!!')).toBeNull();
  });
});
