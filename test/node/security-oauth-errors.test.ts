/**
 * The OAuth error contract under attack-shaped input:
 * - every `error_description` the auth Worker sends uses only RFC 6749 §5.2's characters (%x20-21 / %x23-5B /
 *   %x5D-7E), whatever the client sent (quotes, backslashes, non-ASCII, parser messages);
 * - every 401, of every Worker, carries `WWW-Authenticate` (RFC 9110 §15.5.2), a failed client_secret_post
 *   included;
 * - RFC 7009 §2.1: a client revoking another client's token is refused with an RFC 6749 §5.2 error, and nothing
 *   is revoked.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isValidErrorText, MAX_ERROR_DESCRIPTION_LENGTH, toErrorDescription } from '../../shared/oauth-error-text.js';
import {
  basicHeader,
  clientCredentials,
  introspect,
  postForm,
  type RegisteredClient,
  register,
  startTokenPlatform,
  type TokenPlatform,
} from './token-helpers.js';

const POLICY_API_TOKEN = randomBytes(32).toString('base64url');
const METRICS_TOKEN = randomBytes(32).toString('base64url');

describe('toErrorDescription (pure)', () => {
  it('keeps text that is already within the RFC 6749 set', () => {
    expect(toErrorDescription('client authentication failed')).toBe('client authentication failed');
  });

  it('replaces quotes, backslashes, control and non-ASCII characters', () => {
    const out = toErrorDescription('"lecture-é" is not\\valid\n\tnow');
    expect(out).toBe("'lecture-?' is not/valid  now");
    expect(isValidErrorText(out)).toBe(true);
  });

  it('bounds the length', () => {
    const out = toErrorDescription('x'.repeat(5000));
    expect(out.length).toBe(MAX_ERROR_DESCRIPTION_LENGTH);
    expect(out.endsWith('...')).toBe(true);
  });

  it('accepts exactly %x20-21 / %x23-5B / %x5D-7E', () => {
    for (let code = 0; code < 0x80; code++) {
      const allowed =
        (code >= 0x20 && code <= 0x21) || (code >= 0x23 && code <= 0x5b) || (code >= 0x5d && code <= 0x7e);
      expect(isValidErrorText(String.fromCharCode(code)), `0x${code.toString(16)}`).toBe(allowed);
    }
    expect(isValidErrorText('é')).toBe(false);
  });
});

let tp: TokenPlatform;
let basic: RegisteredClient;
let post: RegisteredClient;

beforeAll(async () => {
  tp = await startTokenPlatform({
    POLICY_API_TOKEN,
    METRICS_TOKEN,
    RESOURCES_SUPPORTED: 'https://api.example',
    // Every probe must reach the error path it is about, not a 429 from the failed-authentication charges.
    RATE_LIMIT_IP_INTROSPECT_CAPACITY: '100000',
    RATE_LIMIT_IP_INTROSPECT_REFILL_PER_SECOND: '10000',
    RATE_LIMIT_IP_REVOKE_CAPACITY: '100000',
    RATE_LIMIT_IP_REVOKE_REFILL_PER_SECOND: '10000',
  });
  basic = await register(tp, { scope: 'read', token_endpoint_auth_method: 'client_secret_basic' });
  post = await register(tp, { scope: 'read', token_endpoint_auth_method: 'client_secret_post' });
});

afterAll(async () => {
  await tp?.stop();
});

const url = (path: string) => `${tp.platform.urls.auth}${path}`;

interface Probe {
  name: string;
  send(): Promise<Response>;
}

const form = (path: string, body: string | Blob, headers: Record<string, string> = {}) =>
  fetch(url(path), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
const json = (method: string, path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url(path), { method, headers: { 'content-type': 'application/json', ...headers }, body });
const asBasic = () => ({ authorization: basicHeader(basic.client_id, basic.client_secret) });
const initial = () => ({ authorization: `Bearer ${tp.registrationToken}` });
const managed = (c: RegisteredClient) => ({ authorization: `Bearer ${c.registration_access_token}` });
const managedPath = (c: RegisteredClient) => new URL(c.registration_client_uri).pathname;

/** Requests that drive each OAuth endpoint into one of its error paths, with hostile input where it is echoed. */
function errorProbes(): Probe[] {
  const probes: Probe[] = [];
  for (const path of ['/oauth/token', '/oauth/introspect', '/oauth/revoke']) {
    const base = path === '/oauth/token' ? 'grant_type=client_credentials&' : 'token=x&';
    probes.push(
      { name: `${path}: repeated parameter`, send: () => form(path, `${base}scope=a&scope=a`, asBasic()) },
      { name: `${path}: JSON media type`, send: () => json('POST', path, '{}', asBasic()) },
      {
        name: `${path}: invalid UTF-8`,
        send: () => form(path, new Blob([new Uint8Array([0x61, 0x3d, 0xff, 0xfe])]), asBasic()),
      },
      { name: `${path}: no client authentication`, send: () => form(path, base) },
      { name: `${path}: unsupported scheme`, send: () => form(path, base, { authorization: 'Bearer abc' }) },
      { name: `${path}: malformed Basic`, send: () => form(path, base, { authorization: 'Basic !!!' }) },
      {
        name: `${path}: Basic without colon`,
        send: () => form(path, base, { authorization: `Basic ${Buffer.from('nocolon').toString('base64')}` }),
      },
      {
        name: `${path}: Basic with bad percent-encoding`,
        send: () => form(path, base, { authorization: `Basic ${Buffer.from('%zz:%"\\').toString('base64')}` }),
      },
      {
        name: `${path}: two authentication methods`,
        send: () => form(path, `${base}client_secret=x`, asBasic()),
      },
      {
        name: `${path}: client_id differs from Basic`,
        send: () => form(path, `${base}client_id=%22other%5C`, asBasic()),
      },
      { name: `${path}: secret without id`, send: () => form(path, `${base}client_secret=x`) },
      { name: `${path}: public client`, send: () => form(path, `${base}client_id=${post.client_id}`) },
      {
        name: `${path}: wrong secret (post)`,
        send: () => form(path, `${base}client_id=${post.client_id}&client_secret=wrong`),
      },
      {
        name: `${path}: unknown client with quotes in its id (post)`,
        send: () => form(path, `${base}client_id=%22%5C%C3%A9&client_secret=wrong`),
      },
      { name: `${path}: body too large`, send: () => form(path, `${base}x=${'a'.repeat(70_000)}`, asBasic()) },
      { name: `${path}: wrong method`, send: () => fetch(url(path)) },
    );
  }
  probes.push(
    { name: 'token: grant_type missing', send: () => form('/oauth/token', 'scope=read', asBasic()) },
    { name: 'token: unsupported grant', send: () => form('/oauth/token', 'grant_type=%22pwd%5C', asBasic()) },
    {
      name: 'token: scope with a quote and non-ASCII',
      send: () => form('/oauth/token', 'grant_type=client_credentials&scope=%22r%C3%A9ad%5C', asBasic()),
    },
    {
      name: 'token: scope with double spaces',
      send: () => form('/oauth/token', 'grant_type=client_credentials&scope=read++write', asBasic()),
    },
    {
      name: 'token: scope not registered',
      send: () => form('/oauth/token', 'grant_type=client_credentials&scope=admin', asBasic()),
    },
    {
      name: 'token: resource not a URI',
      send: () => form('/oauth/token', 'grant_type=client_credentials&resource=%22nope%5C', asBasic()),
    },
    { name: 'introspect: token missing', send: () => form('/oauth/introspect', '', asBasic()) },
    { name: 'revoke: token missing', send: () => form('/oauth/revoke', '', asBasic()) },
    { name: 'register: no initial access token', send: () => json('POST', '/oauth/register', '{}') },
    {
      name: 'register: wrong initial access token',
      send: () => json('POST', '/oauth/register', '{}', { authorization: 'Bearer wrong-wrong-wrong' }),
    },
    { name: 'register: body that is not JSON', send: () => json('POST', '/oauth/register', 'xyz', initial()) },
    {
      name: 'register: form media type',
      send: () => form('/oauth/register', 'a=b', initial()),
    },
    {
      name: 'register: grant_types outside the supported set',
      send: () => json('POST', '/oauth/register', '{"grant_types":["password"]}', initial()),
    },
    {
      name: 'register: redirect URI with quotes and backslashes',
      send: () =>
        json('POST', '/oauth/register', JSON.stringify({ redirect_uris: ['http://evil.example/"\\'] }), initial()),
    },
    {
      name: 'register: scope token with a quote and non-ASCII',
      send: () => json('POST', '/oauth/register', JSON.stringify({ scope: '"lecture-é"' }), initial()),
    },
    {
      name: 'register: scope outside SCOPES_SUPPORTED',
      send: () => json('POST', '/oauth/register', JSON.stringify({ scope: 'read delete' }), initial()),
    },
    {
      name: 'register: allowed_resources not an absolute URI',
      send: () =>
        json('POST', '/oauth/register', JSON.stringify({ allowed_resources: ['"relative\\path"'] }), initial()),
    },
    {
      name: 'register: allowed_resources outside RESOURCES_SUPPORTED',
      send: () =>
        json('POST', '/oauth/register', JSON.stringify({ allowed_resources: ['https://x.example/"é\\'] }), initial()),
    },
    {
      name: 'register: unknown auth method',
      send: () => json('POST', '/oauth/register', JSON.stringify({ token_endpoint_auth_method: '"none"' }), initial()),
    },
    {
      name: 'register: client_uri not http(s)',
      send: () => json('POST', '/oauth/register', JSON.stringify({ client_uri: 'javascript:"x"' }), initial()),
    },
    {
      name: 'register: nesting too deep',
      send: () => json('POST', '/oauth/register', `${'['.repeat(40)}${']'.repeat(40)}`, initial()),
    },
    { name: 'management: no token', send: () => fetch(url(managedPath(basic))) },
    {
      name: 'management: wrong token',
      send: () => fetch(url(managedPath(basic)), { headers: { authorization: 'Bearer wrong-wrong-wrong' } }),
    },
    {
      name: 'management: update with another client_id',
      send: () => json('PUT', managedPath(basic), JSON.stringify({ client_id: '"other\\' }), managed(basic)),
    },
    {
      name: 'management: update with a chosen client_secret',
      send: () =>
        json(
          'PUT',
          managedPath(basic),
          JSON.stringify({ client_id: basic.client_id, client_secret: 'x' }),
          managed(basic),
        ),
    },
    {
      name: 'management: update with an invalid scope',
      send: () =>
        json('PUT', managedPath(basic), JSON.stringify({ client_id: basic.client_id, scope: 'é"\\' }), managed(basic)),
    },
    {
      name: 'management: update body not JSON',
      send: () => json('PUT', managedPath(basic), '{"client_id": x}', managed(basic)),
    },
  );
  return probes;
}

describe('RFC 6749 §5.2: error_description characters', () => {
  it('every error the OAuth endpoints answer has an error and error_description within %x20-21 / %x23-5B / %x5D-7E', async () => {
    const bad: string[] = [];
    let checked = 0;
    for (const probe of errorProbes()) {
      const res = await probe.send();
      const text = await res.text();
      if (res.status < 400) {
        bad.push(`${probe.name}: expected an error, got ${res.status}`);
        continue;
      }
      let body: { error?: unknown; error_description?: unknown };
      try {
        body = JSON.parse(text);
      } catch {
        bad.push(`${probe.name}: ${res.status} body is not JSON: ${text.slice(0, 80)}`);
        continue;
      }
      if (typeof body.error !== 'string' || !isValidErrorText(body.error)) {
        bad.push(`${probe.name}: ${res.status} error ${JSON.stringify(body.error)}`);
      }
      if (body.error_description !== undefined) {
        checked++;
        const d = body.error_description;
        if (typeof d !== 'string' || !isValidErrorText(d)) bad.push(`${probe.name}: ${JSON.stringify(d)}`);
      }
    }
    expect(checked).toBeGreaterThan(40);
    expect(bad, `error texts outside RFC 6749 §5.2's set:\n${bad.join('\n')}`).toEqual([]);
  }, 120_000);
});

describe('RFC 9110 §15.5.2: every 401 carries WWW-Authenticate', () => {
  it('on every endpoint and every way to fail authentication, client_secret_post included', async () => {
    const policy = (path: string, init: RequestInit = {}) => fetch(`${tp.platform.urls.policy}${path}`, init);
    const probes: Probe[] = [...errorProbes()];
    for (const worker of ['auth', 'policy', 'admin', 'monitor'] as const) {
      probes.push(
        { name: `${worker} /metrics without token`, send: () => fetch(`${tp.platform.urls[worker]}/metrics`) },
        {
          name: `${worker} /metrics wrong token`,
          send: () => fetch(`${tp.platform.urls[worker]}/metrics`, { headers: { authorization: 'Bearer nope' } }),
        },
      );
    }
    probes.push(
      { name: 'auth admin: no credential', send: () => fetch(url('/admin/keys/rotate'), { method: 'POST' }) },
      {
        name: 'auth admin: unknown credential',
        send: () => fetch(url('/admin/keys/maintain'), { method: 'POST', headers: { authorization: 'Bearer nope' } }),
      },
      {
        name: 'policy decision: no token',
        send: () =>
          policy('/v1/authorize', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
      },
      { name: 'policy admin: no credential', send: () => policy('/v1/policies/versions') },
      {
        name: 'policy admin: unknown credential',
        send: () => policy('/v1/entities', { headers: { authorization: 'Bearer nope' } }),
      },
    );
    const missing: string[] = [];
    let seen = 0;
    for (const probe of probes) {
      const res = await probe.send();
      await res.arrayBuffer();
      if (res.status !== 401) continue;
      seen++;
      if (!res.headers.get('www-authenticate')) missing.push(probe.name);
    }
    expect(seen).toBeGreaterThan(25);
    expect(missing, `401 responses without WWW-Authenticate:\n${missing.join('\n')}`).toEqual([]);
  }, 120_000);
});

describe("RFC 7009 §2.1: revoking another client's token", () => {
  it('is refused with an RFC 6749 §5.2 error, and the token stays active', async () => {
    const { token } = await clientCredentials(tp, basic);
    const viaPost = await postForm(
      url('/oauth/revoke'),
      `token=${token.access_token}&client_id=${post.client_id}&client_secret=${post.client_secret}`,
    );
    expect(viaPost.status, `another client's revocation answered ${viaPost.status}`).toBe(400);
    expect(viaPost.json).toMatchObject({ error: 'unauthorized_client' });
    expect(typeof viaPost.json?.error_description).toBe('string');
    const { body } = await introspect(tp, basic, token.access_token);
    expect(body.active, 'the refused revocation must not revoke').toBe(true);
  });

  it('the owner still revokes its own token with 200 (RFC 7009 §2.2)', async () => {
    const { token } = await clientCredentials(tp, basic);
    const res = await postForm(url('/oauth/revoke'), `token=${token.access_token}`, asBasic());
    expect(res.status).toBe(200);
    expect((await introspect(tp, basic, token.access_token)).body.active).toBe(false);
  });
});
