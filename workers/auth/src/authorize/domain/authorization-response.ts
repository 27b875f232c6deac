/**
 * The authorization response (RFC 6749 §4.1.2) and error response (§4.1.2.1), sent back to a validated
 * redirect URI. Every response carries `iss` (RFC 9207) so a client talking to several servers can tell which
 * one answered (mix-up attacks), and `state` exactly as received.
 *
 * Query mode appends to the redirect URI's own query, which RFC 6749 §3.1.2 requires to be kept. Registered
 * redirect URIs never contain a fragment, so nothing can be smuggled after the parameters.
 */

export type AuthorizationResult = { code: string } | { error: string; error_description?: string };

/** The response parameters in the order they are sent. */
export function authorizationResponseParams(
  issuer: string,
  result: AuthorizationResult,
  state: string | undefined,
): [string, string][] {
  const out: [string, string][] =
    'code' in result
      ? [['code', result.code]]
      : [
          ['error', result.error],
          ...(result.error_description
            ? ([['error_description', result.error_description]] as [string, string][])
            : []),
        ];
  if (state !== undefined) out.push(['state', state]);
  out.push(['iss', issuer]);
  return out;
}

/** `redirectUri` with `params` added to its query (application/x-www-form-urlencoded). */
export function buildRedirectUrl(redirectUri: string, params: readonly (readonly [string, string])[]): string {
  const hash = redirectUri.indexOf('#');
  if (hash !== -1) throw new Error('redirect URIs never contain a fragment');
  const query = new URLSearchParams(params as [string, string][]).toString();
  if (query === '') return redirectUri;
  const q = redirectUri.indexOf('?');
  const sep = q === -1 ? '?' : q === redirectUri.length - 1 || redirectUri.endsWith('&') ? '' : '&';
  return `${redirectUri}${sep}${query}`;
}
