/**
 * The headers every response carries (shared/app.ts adds them on the way out), and `secureJson`: a JSON response
 * built with all of them at once, for the hot endpoints (token, introspection, decisions).
 *
 * Why a second way: each Headers call crosses into the runtime. Hono's `c.json` builds a Headers object and sets
 * each header, then the middleware sets the security headers one by one, about a dozen crossings per response.
 * Constructing a Response from a Headers object copies it in one step, so a per-isolate template with every
 * header already in it costs one crossing plus the request id (measured under workerd: about 5 µs per response
 * against about 9 µs, on a token endpoint whose whole budget is about 150 µs). The middleware recognises these
 * responses and sets only what differs per request; the headers sent are the same either way (tested).
 */

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

/** Headers a handler may set itself (a page's own CSP, a cacheable JWKS); the rest are always ours. */
const HANDLER_CHOSEN = new Set(['content-security-policy', 'cache-control']);
/** Set on every response, over whatever the handler set. */
export const FIXED_HEADERS = Object.entries(SECURITY_HEADERS).filter(([k]) => !HANDLER_CHOSEN.has(k));
/** Set unless the handler chose its own. */
export const DEFAULT_CSP = SECURITY_HEADERS['content-security-policy'] as string;
export const DEFAULT_CACHE_CONTROL = 'no-store';

/** Caching of a `secureJson` response: `no-store`, or `no-store` and `Pragma: no-cache` (RFC 6749 §5.1). */
export type SecureJsonCaching = 'no-store' | 'no-store, pragma';

/** Responses built by `secureJson`: the middleware adds only the request id (and CORS) to these. */
const preSecured = new WeakSet<Response>();

/** One template per caching, built on first use (no Headers at module scope: nothing runs before a request). */
const templates = new Map<SecureJsonCaching, Headers>();

function template(caching: SecureJsonCaching): Headers {
  let headers = templates.get(caching);
  if (!headers) {
    headers = new Headers({ 'content-type': 'application/json', ...SECURITY_HEADERS });
    headers.set('cache-control', DEFAULT_CACHE_CONTROL);
    if (caching === 'no-store, pragma') headers.set('pragma', 'no-cache');
    templates.set(caching, headers);
  }
  return headers;
}

/**
 * `body` as `application/json` with every security header and the given caching: the same headers `c.json(body,
 * status, { 'cache-control': 'no-store', ... })` ends up with after the middleware. Only for handlers that set no
 * other header (`c.header`) on the response.
 */
export function secureJson(body: unknown, status = 200, caching: SecureJsonCaching = 'no-store'): Response {
  const res = new Response(JSON.stringify(body), { status, headers: template(caching) });
  preSecured.add(res);
  return res;
}

/** Whether `res` came from `secureJson`, so already carries every security and caching header. */
export function isPreSecured(res: Response): boolean {
  return preSecured.has(res);
}
