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
