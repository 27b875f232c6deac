// Small OAuth client pieces the scenarios share: form requests, client_secret_basic, JSON answers, and requests to
// the platform's token, introspection and revocation endpoints.
export const FORM = 'application/x-www-form-urlencoded';

/** client_secret_basic (RFC 6749 §2.3.1: both parts form-encoded, then Basic). */
export const basicAuth = (id, secret) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

export async function expectJson(res, what) {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${text}`);
  return JSON.parse(text);
}

/** A form POST with client_secret_basic, as a request spec the load generator can send too. */
export const formRequest = (url, authorization, body) => ({
  url,
  method: 'POST',
  headers: { 'content-type': FORM, authorization },
  body,
});

/** Sends a request spec once; resolves to its status, body text and time to the whole answer. */
export async function timed(spec) {
  const start = performance.now();
  const res = await fetch(spec.url, spec);
  const text = await res.text();
  return { status: res.status, ok: res.ok, text, ms: performance.now() - start };
}

/** Registers a client on the platform (RFC 7591, with the initial access token); resolves to the answer. */
export async function registerClient(platform, metadata) {
  const res = await fetch(`${platform.urls.auth}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${platform.secrets.REGISTRATION_TOKEN}` },
    body: JSON.stringify(metadata),
  });
  return expectJson(res, `client registration (${metadata.client_name})`);
}

/**
 * Redeems an authorization code (PKCE `verifier`) at `tokenUrl` with client_secret_basic; resolves to the token
 * answer, which must carry a refresh token. `who` names the server in errors.
 */
export async function redeemForRefreshToken(tokenUrl, authorization, { code, redirectUri, verifier }, who) {
  const token = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': FORM, authorization },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    }).toString(),
  });
  const body = await token.json();
  if (!token.ok || !body.refresh_token)
    throw new Error(`${who} code exchange: HTTP ${token.status} ${JSON.stringify(body)}`);
  return body;
}

/** The refresh tokens of `n` runs of `flow` (one authorization-code flow each), a few at a time. */
export async function refreshTokensOf(flow, n, concurrency = 4) {
  const out = [];
  let started = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (started < n) {
        started += 1;
        out.push((await flow()).refresh_token);
      }
    }),
  );
  return out;
}
