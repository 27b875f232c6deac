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
 *
 * Self-hosted, the socket adds the fixed headers. The workerd configs we generate (scripts/lib/workerd-config.mjs)
 * have every socket inject FIXED_HEADERS into every response (`injectResponseHeaders`, which replaces a header of
 * the same name, exactly as the middleware's `set` does) and tell the Worker so in a literal binding,
 * SOCKET_SECURITY_HEADERS. The Worker then leaves those out: each header of a Response costs the runtime about
 * 0.6 µs to build, copy, send and free (a bare Worker: 12 headers against 2), while the socket adds its fixed list
 * when it writes the response. Measured on the whole process, the socket's work included: about 5 µs less CPU per
 * token and per decision. On Cloudflare nothing injects, and the binding is ignored (it counts only where `RUNTIME`
 * says we are not on Cloudflare), so a misplaced variable cannot strip the headers there.
 */
import { runsOutsideCloudflare } from './env.js';
import SECURITY_HEADERS from './security-headers.json';

/**
 * Set on every response, over whatever the handler set. The workerd config generator reads the same file (`fixed`)
 * for the sockets' list. The CSP and Cache-Control are not among them: a handler may choose its own (a page's CSP,
 * a cacheable JWKS).
 */
export const FIXED_HEADERS: readonly (readonly [string, string])[] = Object.entries(SECURITY_HEADERS.fixed);
/** Set unless the handler chose its own. */
export const DEFAULT_CSP: string = SECURITY_HEADERS.defaultCsp;
export const DEFAULT_CACHE_CONTROL = 'no-store';

/** Caching of a `secureJson` response: `no-store`, or `no-store` and `Pragma: no-cache` (RFC 6749 §5.1). */
export type SecureJsonCaching = 'no-store' | 'no-store, pragma';

/** The bindings that say which fixed headers the socket adds (a comma-separated list of names). */
export interface SocketHeadersBinding {
  RUNTIME?: string;
  SOCKET_SECURITY_HEADERS?: string;
}

/** Responses built by `secureJson`: the middleware adds only the request id (and CORS) to these. */
const preSecured = new WeakSet<Response>();

/** The security headers one deployment (one env object) sets itself, and its secureJson templates. */
export class ResponseHeaders {
  /** The fixed headers the Worker sets: FIXED_HEADERS less those its socket injects. */
  readonly fixed: readonly (readonly [string, string])[];
  /** One template per caching, built on first use (no Headers at module scope: nothing runs before a request). */
  private readonly templates = new Map<SecureJsonCaching, Headers>();

  constructor(injected: ReadonlySet<string>) {
    this.fixed = FIXED_HEADERS.filter(([k]) => !injected.has(k));
  }

  private template(caching: SecureJsonCaching): Headers {
    let headers = this.templates.get(caching);
    if (!headers) {
      headers = new Headers({ 'content-type': 'application/json', 'content-security-policy': DEFAULT_CSP });
      for (const [k, v] of this.fixed) headers.set(k, v);
      headers.set('cache-control', DEFAULT_CACHE_CONTROL);
      if (caching === 'no-store, pragma') headers.set('pragma', 'no-cache');
      this.templates.set(caching, headers);
    }
    return headers;
  }

  json(body: unknown, status: number, caching: SecureJsonCaching): Response {
    const res = new Response(JSON.stringify(body), { status, headers: this.template(caching) });
    preSecured.add(res);
    return res;
  }
}

/** The fixed headers a socket injects, per SOCKET_SECURITY_HEADERS; none on Cloudflare or without the binding. */
export function socketInjectedHeaders(env: SocketHeadersBinding | undefined): Set<string> {
  const injected = new Set<string>();
  if (!env || !runsOutsideCloudflare(env) || typeof env.SOCKET_SECURITY_HEADERS !== 'string') return injected;
  const fixed = new Set(FIXED_HEADERS.map(([k]) => k));
  for (const name of env.SOCKET_SECURITY_HEADERS.split(',')) {
    const key = name.trim().toLowerCase();
    if (fixed.has(key)) injected.add(key);
  }
  return injected;
}

const NO_ENV = new ResponseHeaders(new Set());
const byEnv = new WeakMap<object, ResponseHeaders>();

/** The response headers of the deployment whose env this is (built once per env object). */
export function responseHeadersFor(env: unknown): ResponseHeaders {
  if (typeof env !== 'object' || env === null) return NO_ENV;
  let headers = byEnv.get(env);
  if (!headers) {
    headers = new ResponseHeaders(socketInjectedHeaders(env as SocketHeadersBinding));
    byEnv.set(env, headers);
  }
  return headers;
}

/**
 * `body` as `application/json` with every security header the Worker sets (`env`: the request's, `c.env`) and the
 * given caching: the same headers `c.json(body, status, { 'cache-control': 'no-store', ... })` ends up with after
 * the middleware. Only for handlers that set no other header (`c.header`) on the response.
 */
export function secureJson(
  env: unknown,
  body: unknown,
  status = 200,
  caching: SecureJsonCaching = 'no-store',
): Response {
  return responseHeadersFor(env).json(body, status, caching);
}

/** Whether `res` came from `secureJson`, so already carries every security and caching header. */
export function isPreSecured(res: Response): boolean {
  return preSecured.has(res);
}
