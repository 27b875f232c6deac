/**
 * Redirect URIs: registration rules per application type, and matching at the authorization endpoint.
 *
 * Matching is exact string comparison against the registered URIs (RFC 9700 §4.1.3), no normalisation of
 * case, percent-encoding, trailing slashes or default ports, with one exception: RFC 8252 §7.3 loopback
 * redirects (`http://127.0.0.1` or `http://[::1]`) match on any port, because native apps listen on an ephemeral
 * port chosen at run time; scheme, host, path and query must still be identical.
 *
 * `localhost` is refused for both application types (RFC 8252 §8.3 calls it NOT RECOMMENDED: the name can be
 * resolved elsewhere or captured by a firewall). Native apps use the IP literals instead, which every browser
 * and OS treats as loopback.
 *
 * Registration also requires the URI to be written the way a browser serialises it (`new URL(uri).href`), so
 * what the operator sees registered is exactly what the browser will be sent to; "https://Example.com" must be
 * registered as "https://example.com/".
 *
 * Application types follow OpenID Connect Dynamic Client Registration §2: `web` clients redirect to https URLs
 * on real hosts; `native` clients to private-use schemes in reverse-domain form (RFC 8252 §7.1), claimed https
 * URLs (§7.2) or loopback IP literals over http (§7.3).
 */

export type ApplicationType = 'web' | 'native';
export const APPLICATION_TYPES: readonly ApplicationType[] = ['web', 'native'];
export const MAX_REDIRECT_URI_LENGTH = 2000;

/** Schemes that are never a private-use redirect scheme, whatever their form. */
const FORBIDDEN_SCHEMES = new Set([
  'javascript',
  'data',
  'file',
  'vbscript',
  'about',
  'blob',
  'filesystem',
  'ws',
  'wss',
]);

/**
 * A loopback redirect in its strict textual form: `http://127.0.0.1[:port][/path][?query]` or the [::1]
 * equivalent. Path and query are visible ASCII without backslashes (a browser reads "\" as "/").
 */
const LOOPBACK =
  /^http:\/\/(127\.0\.0\.1|\[::1\])(?::([1-9][0-9]{0,4}))?((?:\/[\x21-\x22\x24-\x3E\x40-\x5B\x5D-\x7E]*)?(?:\?[\x21-\x22\x24-\x5B\x5D-\x7E]*)?)$/;

interface Loopback {
  host: string;
  port: number | undefined;
  rest: string;
}

function parseLoopback(uri: string): Loopback | undefined {
  const m = LOOPBACK.exec(uri);
  if (!m) return undefined;
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && port > 65535) return undefined;
  // "http://127.0.0.1" and "http://127.0.0.1/" are the same request target; compare them as such.
  const rest = m[3] === '' || m[3]!.startsWith('?') ? `/${m[3]}` : m[3]!;
  return { host: m[1]!, port, rest };
}

export function isLoopbackRedirectUri(uri: string): boolean {
  return parseLoopback(uri) !== undefined;
}

/**
 * The redirect URI to use for `requested`, or undefined when it matches none of `registered`. The answer is
 * `requested` itself (for a loopback redirect, with the port the client asked for).
 */
export function matchRedirectUri(requested: unknown, registered: readonly string[]): string | undefined {
  if (typeof requested !== 'string' || requested === '' || requested.length > MAX_REDIRECT_URI_LENGTH) return undefined;
  if (registered.includes(requested)) return requested;
  const asked = parseLoopback(requested);
  if (!asked) return undefined;
  for (const uri of registered) {
    const known = parseLoopback(uri);
    if (known && known.host === asked.host && known.rest === asked.rest) return requested;
  }
  return undefined;
}

function isLocalhostName(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost');
}

function isIpLiteral(host: string): boolean {
  return host.startsWith('[') || /^[0-9.]+$/.test(host);
}

/**
 * Why `uri` cannot be registered as a redirect (or post-logout redirect) URI for a client of type `type`;
 * undefined when it can.
 */
export function redirectUriProblem(uri: unknown, type: ApplicationType): string | undefined {
  if (typeof uri !== 'string' || uri === '') return 'must be a non-empty string';
  if (uri.length > MAX_REDIRECT_URI_LENGTH) return `must be at most ${MAX_REDIRECT_URI_LENGTH} characters`;
  if (uri.includes('#')) return 'must not contain a fragment';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'must be an absolute URI';
  }
  if (url.href !== uri) return `must be written in canonical form: ${url.href.slice(0, 200)}`;
  if (url.username !== '' || url.password !== '') return 'must not contain user information';
  const scheme = url.protocol.slice(0, -1);
  if (scheme === 'https') {
    if (url.hostname === '' || url.hostname.includes('*')) return 'must name a host (no wildcards)';
    if (isLocalhostName(url.hostname))
      return 'must not use localhost; native apps use http://127.0.0.1 or http://[::1]';
    if (type === 'web' && isIpLiteral(url.hostname) && isLoopbackAddress(url.hostname)) {
      return 'must not point at a loopback address for a web client';
    }
    return undefined;
  }
  if (scheme === 'http') {
    if (type === 'web') return 'must use https for a web client';
    if (isLocalhostName(url.hostname)) return 'must use http://127.0.0.1 or http://[::1] rather than localhost';
    if (!isLoopbackRedirectUri(uri)) return 'http is only allowed for loopback redirects (127.0.0.1 or [::1])';
    return undefined;
  }
  if (type === 'web') return 'must use https for a web client';
  if (FORBIDDEN_SCHEMES.has(scheme)) return `must not use the ${scheme}: scheme`;
  if (!scheme.includes('.')) return 'a private-use scheme must be in reverse domain name form, e.g. com.example.app';
  return undefined;
}

function isLoopbackAddress(host: string): boolean {
  return host === '[::1]' || /^127\./.test(host);
}
