// Reference 2, the token-endpoint ceiling: the least work any client_credentials token endpoint must do, in a bare
// workerd Worker. Parse the form, read client_secret_basic, hash the presented secret and compare it in constant
// time with the stored hash, and sign an ES256 JWT access token with a key already in memory. No storage, no
// logging, no rate limits, no events: whatever the platform spends beyond this is its own overhead.
const enc = new TextEncoder();
let signingKey; // generated on first use, then kept in memory like the platform's signing key
let storedHash; // decoded on first use, as the platform decodes a cached client's hash once

// The runtime's own encoder, as the platform uses (shared/crypto.ts): the ceiling must not pay for a slower one.
const b64url = (bytes) => bytes.toBase64({ alphabet: 'base64url', omitPadding: true });
const b64urlJson = (v) => b64url(enc.encode(JSON.stringify(v)));
const HEADER = b64urlJson({ alg: 'ES256', typ: 'at+jwt', kid: 'ceiling-1' });

function fromHex(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function equal(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

const json = (status, body, extra = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...extra },
  });

export default {
  async fetch(request, env) {
    if (request.method !== 'POST') return json(405, { error: 'invalid_request' });
    const form = new URLSearchParams(await request.text());
    if (form.get('grant_type') !== 'client_credentials') return json(400, { error: 'unsupported_grant_type' });
    const header = request.headers.get('authorization') ?? '';
    if (!header.startsWith('Basic ')) return json(401, { error: 'invalid_client' });
    const decoded = atob(header.slice(6));
    const colon = decoded.indexOf(':');
    const clientId = decodeURIComponent(decoded.slice(0, colon));
    const secret = decodeURIComponent(decoded.slice(colon + 1));
    const presented = new Uint8Array(await crypto.subtle.digest('SHA-256', enc.encode(secret)));
    storedHash ??= fromHex(env.CLIENT_SECRET_SHA256);
    if (!equal(presented, storedHash) || clientId !== env.CLIENT_ID) {
      return json(401, { error: 'invalid_client' });
    }
    if (!signingKey) {
      signingKey = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']))
        .privateKey;
    }
    const now = Math.floor(Date.now() / 1000);
    const scope = form.get('scope') ?? 'read';
    const payload = b64urlJson({
      iss: 'http://ceiling.invalid',
      sub: clientId,
      aud: 'https://api.example.com',
      exp: now + 600,
      iat: now,
      jti: crypto.randomUUID(),
      client_id: clientId,
      scope,
    });
    const input = `${HEADER}.${payload}`;
    const sig = new Uint8Array(
      await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, signingKey, enc.encode(input)),
    );
    return json(200, { access_token: `${input}.${b64url(sig)}`, token_type: 'Bearer', expires_in: 600, scope });
  },
};
