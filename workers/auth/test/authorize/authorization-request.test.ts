import { describe, expect, it } from 'vitest';
import {
  type AuthorizeClient,
  type AuthorizeContext,
  type AuthorizeOutcome,
  validateAuthorizationRequest,
} from '../../src/authorize/domain/authorization-request.js';
import { readAuthorizationParameters, requestedClientId } from '../../src/authorize/domain/parameters.js';

const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const client: AuthorizeClient = {
  clientId: 'client-1',
  redirectUris: ['https://rp.example.com/cb', 'http://127.0.0.1/native', 'com.example.app:/cb'],
  grantTypes: ['authorization_code', 'refresh_token'],
  responseTypes: ['code'],
  scopes: ['openid', 'profile', 'email', 'offline_access', 'read'],
};
const base: Record<string, string> = {
  client_id: 'client-1',
  redirect_uri: 'https://rp.example.com/cb',
  response_type: 'code',
  scope: 'openid profile',
  state: 'af0ifjsldkj',
  nonce: 'n-0S6_WzA2Mj',
  code_challenge: CHALLENGE,
  code_challenge_method: 'S256',
};

async function decide(
  overrides: Record<string, string | undefined> = {},
  opts: { client?: AuthorizeClient | undefined; extra?: [string, string][]; ctx?: AuthorizeContext } = {},
): Promise<AuthorizeOutcome> {
  const entries: [string, string][] = [];
  for (const [k, v] of Object.entries({ ...base, ...overrides })) if (v !== undefined) entries.push([k, v]);
  entries.push(...(opts.extra ?? []));
  const params = readAuthorizationParameters(new URLSearchParams(entries));
  return validateAuthorizationRequest(params, 'client' in opts ? opts.client : client, opts.ctx);
}

async function redirectError(overrides: Record<string, string | undefined>, extra?: [string, string][]) {
  const outcome = await decide(overrides, { extra });
  if (outcome.kind !== 'error-redirect') throw new Error(`expected a redirected error, got ${JSON.stringify(outcome)}`);
  return outcome;
}

describe('authorization request validation', () => {
  it('accepts a complete OpenID Connect request', async () => {
    const outcome = await decide({ prompt: 'login consent', max_age: '300', login_hint: 'jane@example.com' });
    expect(outcome).toEqual({
      kind: 'valid',
      request: {
        clientId: 'client-1',
        redirectUri: 'https://rp.example.com/cb',
        responseMode: 'query',
        scopes: ['openid', 'profile'],
        openid: true,
        codeChallenge: CHALLENGE,
        codeChallengeMethod: 'S256',
        state: 'af0ifjsldkj',
        nonce: 'n-0S6_WzA2Mj',
        prompt: ['login', 'consent'],
        maxAge: 300,
        loginHint: 'jane@example.com',
        uiLocales: [],
        acrValues: [],
      },
    });
  });

  it('accepts a plain OAuth request (no openid) as such', async () => {
    const outcome = await decide({ scope: 'read', nonce: undefined });
    expect(outcome.kind === 'valid' && outcome.request.openid).toBe(false);
  });

  it('never redirects when the client is unknown or the redirect URI is not registered', async () => {
    const pages: [Record<string, string | undefined>, string][] = [
      [{ client_id: undefined }, 'invalid_request'],
      [{ client_id: 'someone-else' }, 'invalid_client'],
      [{ redirect_uri: undefined }, 'invalid_request'],
      [{ redirect_uri: 'https://attacker.example/cb' }, 'invalid_request'],
      [{ redirect_uri: 'https://rp.example.com/cb/' }, 'invalid_request'],
      [{ redirect_uri: `https://rp.example.com/cb${'x'.repeat(2000)}` }, 'invalid_request'],
    ];
    for (const [overrides, error] of pages) {
      const outcome = await decide(overrides);
      expect(outcome, JSON.stringify(overrides)).toMatchObject({ kind: 'error-page', error });
    }
    expect(await decide({}, { client: undefined })).toMatchObject({ kind: 'error-page', error: 'invalid_client' });
    // Even a request that is wrong in every other way is not redirected to an unregistered URI.
    const outcome = await decide({
      redirect_uri: 'https://attacker.example/cb',
      response_type: 'token',
      scope: undefined,
    });
    expect(outcome.kind).toBe('error-page');
  });

  it('treats a repeated client_id or redirect_uri as untrusted, even with identical values', async () => {
    for (const name of ['client_id', 'redirect_uri']) {
      const outcome = await decide({}, { extra: [[name, base[name]!]] });
      expect(outcome, name).toMatchObject({ kind: 'error-page', error: 'invalid_request' });
    }
    const params = readAuthorizationParameters([
      ['client_id', 'a'],
      ['client_id', 'b'],
    ]);
    expect(requestedClientId(params)).toBeUndefined();
  });

  it('redirects every other error with state, in the requested response mode', async () => {
    const cases: [Record<string, string | undefined>, string, string?][] = [
      [{ response_type: undefined }, 'invalid_request'],
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ response_type: 'code id_token' }, 'unsupported_response_type'],
      [{ scope: undefined }, 'invalid_request'],
      [{ scope: 'openid  profile' }, 'invalid_scope'],
      [{ scope: 'openid admin' }, 'invalid_scope', 'scope not allowed for this client: admin'],
      [{ code_challenge: undefined }, 'invalid_request', 'code_challenge is required (PKCE with S256)'],
      [{ code_challenge_method: undefined }, 'invalid_request'],
      [{ code_challenge_method: 'plain' }, 'invalid_request', 'code_challenge_method must be S256'],
      [{ code_challenge: 'short' }, 'invalid_request'],
      [{ prompt: 'none login' }, 'invalid_request', 'prompt=none cannot be combined with other values'],
      [{ prompt: 'create' }, 'invalid_request'],
      [{ prompt: 'login  consent' }, 'invalid_request'],
      [{ max_age: '-1' }, 'invalid_request'],
      [{ max_age: '1e3' }, 'invalid_request'],
      [{ max_age: '99999999999' }, 'invalid_request'],
      [{ request: 'eyJhbGciOiJub25lIn0.e30.' }, 'request_not_supported'],
      [{ request_uri: 'urn:ietf:params:oauth:request_uri:abc' }, 'request_uri_not_supported'],
      [{ registration: '{}' }, 'registration_not_supported'],
      [{ response_mode: 'fragment' }, 'invalid_request'],
      [{ nonce: 'n'.repeat(513) }, 'invalid_request', 'parameter too long: nonce'],
    ];
    for (const [overrides, error, description] of cases) {
      const outcome = await redirectError(overrides);
      expect(outcome.error, JSON.stringify(overrides)).toBe(error);
      expect(outcome.redirectUri).toBe('https://rp.example.com/cb');
      expect(outcome.state).toBe('af0ifjsldkj');
      if (description) expect(outcome.description).toBe(description);
    }
  });

  it('refuses any repeated parameter (RFC 6749 §3.1)', async () => {
    for (const name of ['scope', 'response_type', 'code_challenge', 'nonce', 'prompt']) {
      const outcome = await redirectError({ [name]: base[name] ?? 'login' }, [[name, base[name] ?? 'login']]);
      expect(outcome.error, name).toBe('invalid_request');
      expect(outcome.description).toBe(`parameter repeated: ${name}`);
    }
    // A repeated state is refused and not echoed: which of the two would be the client's?
    const outcome = await redirectError({}, [['state', 'other']]);
    expect(outcome.state).toBeUndefined();
  });

  it('does not echo an oversized state', async () => {
    const outcome = await redirectError({ state: 's'.repeat(2049) });
    expect(outcome).toMatchObject({ error: 'invalid_request', description: 'parameter too long: state' });
    expect(outcome.state).toBeUndefined();
  });

  it('returns errors by form_post when asked, but only to http(s) redirect URIs', async () => {
    const outcome = await redirectError({ response_mode: 'form_post', response_type: 'token' });
    expect(outcome.responseMode).toBe('form_post');
    const custom = await redirectError({ response_mode: 'form_post', redirect_uri: 'com.example.app:/cb' });
    expect(custom).toMatchObject({ responseMode: 'query', error: 'invalid_request' });
    const ok = await decide({ response_mode: 'form_post' });
    expect(ok.kind === 'valid' && ok.request.responseMode).toBe('form_post');
  });

  it('refuses clients not registered for the code grant', async () => {
    const outcome = await decide({}, { client: { ...client, grantTypes: ['client_credentials'], responseTypes: [] } });
    expect(outcome).toMatchObject({ kind: 'error-redirect', error: 'unauthorized_client' });
  });

  it('keeps the loopback port the native client asked for', async () => {
    const outcome = await decide({ redirect_uri: 'http://127.0.0.1:53682/native' });
    expect(outcome.kind === 'valid' && outcome.request.redirectUri).toBe('http://127.0.0.1:53682/native');
  });

  it('drops offline_access for clients without refresh tokens', async () => {
    const noRefresh = { ...client, grantTypes: ['authorization_code'] };
    const outcome = await decide({ scope: 'openid offline_access' }, { client: noRefresh });
    expect(outcome.kind === 'valid' && outcome.request.scopes).toEqual(['openid']);
    const kept = await decide({ scope: 'openid offline_access' });
    expect(kept.kind === 'valid' && kept.request.scopes).toEqual(['openid', 'offline_access']);
  });

  it('checks id_token_hint with the verifier it is given', async () => {
    const seen: string[] = [];
    const ctx: AuthorizeContext = {
      verifyIdTokenHint: async (hint, clientId) => {
        seen.push(`${hint}/${clientId}`);
        return hint === 'good' ? { sub: 'user-1', sid: 's1' } : undefined;
      },
    };
    const ok = await decide({ id_token_hint: 'good', prompt: 'none' }, { ctx });
    expect(ok.kind === 'valid' && ok.request.idTokenHint).toEqual({ sub: 'user-1', sid: 's1' });
    expect(await decide({ id_token_hint: 'forged' }, { ctx })).toMatchObject({
      kind: 'error-redirect',
      error: 'invalid_request',
      description: 'id_token_hint is not valid',
    });
    expect(seen).toEqual(['good/client-1', 'forged/client-1']);
    // Without a verifier, no hint can be trusted.
    expect(await decide({ id_token_hint: 'good' })).toMatchObject({ kind: 'error-redirect' });
  });

  it('tolerates display, locales, acr_values, claims and unknown parameters', async () => {
    const outcome = await decide({
      display: 'popup',
      ui_locales: 'fr-CA fr en',
      claims_locales: 'de',
      acr_values: 'urn:mace:incommon:iap:silver',
      claims: '{"id_token":{"email":null}}',
      resource: 'https://api.example.com',
      something_new: 'x',
    });
    expect(outcome.kind).toBe('valid');
    if (outcome.kind === 'valid') {
      expect(outcome.request.uiLocales).toEqual(['fr-CA', 'fr', 'en']);
      expect(outcome.request.acrValues).toEqual(['urn:mace:incommon:iap:silver']);
    }
  });

  it('treats empty values as omitted and bounds the number of parameters', async () => {
    expect(await redirectError({ response_type: '' })).toMatchObject({ error: 'invalid_request' });
    const many = Array.from({ length: 60 }, (_, i) => [`x${i}`, 'y'] as [string, string]);
    expect(await decide({}, { extra: many })).toMatchObject({ kind: 'error-page', error: 'invalid_request' });
  });

  it('keeps error descriptions within the characters RFC 6749 allows', async () => {
    const outcome = await redirectError({ scope: 'openid "quoted"\\' });
    expect(outcome.description).toMatch(/^[\x20-\x21\x23-\x5B\x5D-\x7E]*$/);
  });
});
