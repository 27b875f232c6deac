// Scenario `token`: POST /oauth/token (client_credentials, client_secret_basic) and POST /oauth/introspect
// on the platform, beside three references: the runtime ceiling (bare workerd answering `ok`), the token-endpoint
// ceiling (bare workerd doing only the unavoidable work) and the peer (node-oidc-provider), all on the server core.
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { ratio } from '../lib/report.mjs';
import { REFERENCES_DIR, startBareWorker, startOidcPeer } from '../lib/references.mjs';
import { withProcesses } from '../lib/scenario.mjs';

const JWT_RESOURCE = 'https://api.example.com/jwt';
const OPAQUE_RESOURCE = 'https://api.example.com/opaque';
const FORM = 'application/x-www-form-urlencoded';

const basic = (id, secret) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function expectJson(res, what) {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${text}`);
  return JSON.parse(text);
}

export default {
  name: 'token',
  description: 'token issuance and introspection vs runtime ceiling, token-endpoint ceiling and node-oidc-provider',

  setup: withProcesses(setupScenario),
};

async function setupScenario(ctx, stops) {
  const platform = await ctx.platform();

  // The platform: register a client (RFC 7591, with the initial access token), check one token and introspection.
  const registered = await expectJson(
    await fetch(`${platform.urls.auth}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${platform.secrets.REGISTRATION_TOKEN}` },
      body: JSON.stringify({
        client_name: 'bench',
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: 'read',
      }),
    }),
    'client registration',
  );
  const auth = basic(registered.client_id, registered.client_secret);
  const tokenRequest = {
    url: `${platform.urls.auth}/oauth/token`,
    method: 'POST',
    headers: { 'content-type': FORM, authorization: auth },
    body: 'grant_type=client_credentials&scope=read',
  };
  const issued = await expectJson(await fetch(tokenRequest.url, tokenRequest), 'platform token');
  const introspectRequest = {
    url: `${platform.urls.auth}/oauth/introspect`,
    method: 'POST',
    headers: { 'content-type': FORM, authorization: auth },
    body: `token=${issued.access_token}`,
  };
  const introspected = await expectJson(
    await fetch(introspectRequest.url, introspectRequest),
    'platform introspection',
  );
  if (introspected.active !== true) throw new Error(`platform introspection: ${JSON.stringify(introspected)}`);

  // Reference 1: runtime ceiling.
  const ok = await startBareWorker('runtime-ceiling', join(REFERENCES_DIR, 'ok-worker.js'));
  stops.push(ok.stop);

  // Reference 2: token-endpoint ceiling, with the same kind of credentials (a 256-bit secret, stored hashed).
  const ceilingSecret = registered.client_secret;
  const ceiling = await startBareWorker('token-ceiling', join(REFERENCES_DIR, 'token-ceiling-worker.js'), {
    CLIENT_ID: registered.client_id,
    CLIENT_SECRET_SHA256: createHash('sha256').update(ceilingSecret).digest('hex'),
  });
  stops.push(ceiling.stop);
  const ceilingRequest = { ...tokenRequest, url: `${ceiling.url}/oauth/token` };
  await expectJson(await fetch(ceilingRequest.url, ceilingRequest), 'token-endpoint ceiling');

  // Reference 3: the peer.
  const peer = await startOidcPeer();
  stops.push(peer.stop);
  const peerAuth = basic(peer.clientId, peer.clientSecret);
  const peerTokenRequest = {
    url: `${peer.url}/token`,
    method: 'POST',
    headers: { 'content-type': FORM, authorization: peerAuth },
    body: `grant_type=client_credentials&scope=read&resource=${encodeURIComponent(JWT_RESOURCE)}`,
  };
  const peerJwt = await expectJson(await fetch(peerTokenRequest.url, peerTokenRequest), 'peer token');
  if (peerJwt.access_token.split('.').length !== 3) throw new Error('peer did not issue a JWT access token');
  const peerOpaque = await expectJson(
    await fetch(peerTokenRequest.url, {
      ...peerTokenRequest,
      body: `grant_type=client_credentials&scope=read&resource=${encodeURIComponent(OPAQUE_RESOURCE)}`,
    }),
    'peer opaque token',
  );
  const peerIntrospectRequest = {
    url: `${peer.url}/token/introspection`,
    method: 'POST',
    headers: { 'content-type': FORM, authorization: peerAuth },
    body: `token=${peerOpaque.access_token}`,
  };
  const peerIntrospected = await expectJson(
    await fetch(peerIntrospectRequest.url, peerIntrospectRequest),
    'peer introspection',
  );
  if (peerIntrospected.active !== true) throw new Error(`peer introspection: ${JSON.stringify(peerIntrospected)}`);

  const measurements = [
    {
      id: 'runtime-ceiling',
      label: 'runtime ceiling: bare workerd "ok"',
      request: { url: ok.url },
      serverPids: [ok.pid],
    },
    {
      id: 'token-ceiling',
      label: 'token-endpoint ceiling: bare workerd',
      request: ceilingRequest,
      serverPids: [ceiling.pid],
    },
    {
      id: 'peer-token',
      label: 'peer: node-oidc-provider POST /token (JWT)',
      request: peerTokenRequest,
      serverPids: [peer.pid],
    },
    {
      id: 'token',
      label: 'platform: POST /oauth/token',
      request: tokenRequest,
      serverPids: platform.serverPids,
      compare: ['token-ceiling', 'peer-token', 'runtime-ceiling'],
    },
    {
      id: 'peer-introspect',
      label: 'peer: node-oidc-provider introspection',
      request: peerIntrospectRequest,
      serverPids: [peer.pid],
    },
    {
      id: 'introspect',
      label: 'platform: POST /oauth/introspect',
      request: introspectRequest,
      serverPids: platform.serverPids,
      compare: ['peer-introspect', 'runtime-ceiling'],
    },
  ];

  return {
    measurements,
    processes: { 'runtime-ceiling': ok.pid, 'token-ceiling': ceiling.pid, peer: peer.pid },
    targets(r) {
      const t = r.token;
      const c = r['token-ceiling'];
      const p = r['peer-token'];
      const i = r.introspect;
      const pi = r['peer-introspect'];
      const x = (v) => `${Number.isFinite(v) ? v.toFixed(2) : 'n/a'}x`;
      return [
        {
          label: 'token issuance >= 0.6x token-endpoint ceiling req/s',
          pass: ratio(t.rps, c.rps) >= 0.6,
          detail: `${Math.round(t.rps)} vs ${Math.round(c.rps)} req/s = ${x(ratio(t.rps, c.rps))}`,
        },
        {
          label: 'token issuance >= 2x peer req/s',
          pass: ratio(t.rps, p.rps) >= 2,
          detail: `${Math.round(t.rps)} vs ${Math.round(p.rps)} req/s = ${x(ratio(t.rps, p.rps))}`,
        },
        {
          label: 'token issuance p99 <= 1.5x token-endpoint ceiling p99',
          pass: ratio(t.p99, c.p99) <= 1.5,
          detail: `${t.p99} vs ${c.p99} ms = ${x(ratio(t.p99, c.p99))}`,
        },
        {
          label: 'token issuance: zero errors',
          pass: t.errors + t.timeouts + t.non2xx === 0,
          detail: `${t.errors} errors, ${t.timeouts} timeouts, ${t.non2xx} non-2xx over ${t.requests} requests`,
        },
        {
          label: 'introspection >= 1x peer req/s',
          pass: ratio(i.rps, pi.rps) >= 1,
          detail: `${Math.round(i.rps)} vs ${Math.round(pi.rps)} req/s = ${x(ratio(i.rps, pi.rps))}`,
        },
        {
          label: 'introspection p99 <= peer p99',
          pass: i.p99 <= pi.p99,
          detail: `${i.p99} vs ${pi.p99} ms`,
        },
      ];
    },
  };
}
