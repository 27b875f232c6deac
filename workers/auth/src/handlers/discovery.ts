/**
 * Public discovery documents: RFC 8414 metadata, the OpenID discovery document, and the JWKS.
 *
 * JWKS caching: `Cache-Control: public, max-age=N` with N = min(JWKS_MAX_AGE_SECONDS, KEY_PUBLISH_LEAD_SECONDS).
 * A new key is published KEY_PUBLISH_LEAD_SECONDS before it signs, so a relying party honouring max-age always
 * holds the next key before the first token signed with it arrives. An ETag lets it revalidate cheaply.
 */
import { base64url, sha256 } from '../../../../shared/crypto.js';
import { type AuthConfig, type AuthContext, authConfig } from '../context.js';
import { baseUrl, jwksMaxAge } from '../config.js';
import { authorizationServerMetadata, type MetadataSettings, openIdConfiguration } from '../domain/metadata.js';
import { publishedJwks } from '../storage/signing-keys.js';

const METADATA_CACHE = 'public, max-age=300';
const documents = new WeakMap<AuthConfig, { oauth: string; oidc: string }>();

function metadataDocuments(config: AuthConfig): { oauth: string; oidc: string } {
  let docs = documents.get(config);
  if (!docs) {
    const settings: MetadataSettings = {
      issuer: config.ISSUER,
      baseUrl: baseUrl(config),
      signingAlg: config.SIGNING_ALG,
      registrationEnabled: config.REGISTRATION_TOKEN !== undefined || config.ALLOW_OPEN_REGISTRATION,
      scopesSupported: config.SCOPES_SUPPORTED,
    };
    docs = {
      oauth: JSON.stringify(authorizationServerMetadata(settings)),
      oidc: JSON.stringify(openIdConfiguration(settings)),
    };
    documents.set(config, docs);
  }
  return docs;
}

export function oauthMetadata(c: AuthContext): Response {
  return c.body(metadataDocuments(authConfig(c)).oauth, 200, {
    'content-type': 'application/json',
    'cache-control': METADATA_CACHE,
  });
}

export function openIdMetadata(c: AuthContext): Response {
  return c.body(metadataDocuments(authConfig(c)).oidc, 200, {
    'content-type': 'application/json',
    'cache-control': METADATA_CACHE,
  });
}

let lastJwks: { body: string; etag: string } | undefined;

export async function jwks(c: AuthContext): Promise<Response> {
  const config = authConfig(c);
  const body = JSON.stringify(await publishedJwks(config));
  if (lastJwks?.body !== body) lastJwks = { body, etag: `"${base64url(await sha256(body)).slice(0, 22)}"` };
  const maxAge = jwksMaxAge(config);
  const headers = {
    'content-type': 'application/json',
    'cache-control': maxAge > 0 ? `public, max-age=${maxAge}` : 'no-cache',
    etag: lastJwks.etag,
  };
  const ifNoneMatch = c.req.header('if-none-match');
  if (ifNoneMatch?.split(',').some((t) => t.trim().replace(/^W\//, '') === lastJwks?.etag)) {
    return c.body(null, 304, headers);
  }
  return c.body(body, 200, headers);
}
