/**
 * Public discovery documents: RFC 8414 metadata, the OpenID discovery document, and the JWKS.
 *
 * JWKS caching: `Cache-Control: public, max-age=N` with N = min(JWKS_MAX_AGE_SECONDS, KEY_PUBLISH_LEAD_SECONDS).
 * A new key is published KEY_PUBLISH_LEAD_SECONDS before it signs, so a relying party honouring max-age always
 * holds the next key before the first token signed with it arrives. An ETag lets it revalidate cheaply.
 */
import type { AuthContext } from '../../services.js';
import { jwksMaxAge } from '../domain/metadata.js';

const METADATA_CACHE = 'public, max-age=300';

export function oauthMetadata(c: AuthContext): Response {
  return c.body(c.get('services').discovery.oauth, 200, {
    'content-type': 'application/json',
    'cache-control': METADATA_CACHE,
  });
}

export function openIdMetadata(c: AuthContext): Response {
  return c.body(c.get('services').discovery.oidc, 200, {
    'content-type': 'application/json',
    'cache-control': METADATA_CACHE,
  });
}

export async function jwks(c: AuthContext): Promise<Response> {
  const { config, keys, discovery } = c.get('services');
  const { body, etag } = await discovery.jwks(await keys.jwks());
  const maxAge = jwksMaxAge(config);
  const headers = {
    'content-type': 'application/json',
    'cache-control': maxAge > 0 ? `public, max-age=${maxAge}` : 'no-cache',
    etag,
  };
  const ifNoneMatch = c.req.header('if-none-match');
  if (ifNoneMatch?.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
    return c.body(null, 304, headers);
  }
  return c.body(body, 200, headers);
}
