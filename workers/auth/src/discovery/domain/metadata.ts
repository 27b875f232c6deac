/**
 * Authorization server metadata (RFC 8414) and the OpenID discovery document, advertising only what this
 * Worker implements: the client_credentials grant, client_secret_basic/post, the token, introspection,
 * revocation and (when enabled) registration endpoints, and the JWKS.
 *
 * `/.well-known/openid-configuration`: this server issues no ID tokens and has no authorization or userinfo
 * endpoint, so it is not an OpenID Provider yet. The document is still served, because many relying-party
 * libraries discover through that URL by default, but it is the same honest document: OIDC fields describing
 * ID tokens (`id_token_signing_alg_values_supported`, `subject_types_supported`) are omitted instead of claiming
 * support, `response_types_supported` is the empty list (RFC 8414 makes the member required; no response type
 * exists without an authorization endpoint), and OIDC's defaulted booleans are stated explicitly as false.
 *
 * `access_token_signing_alg_values_supported` is an extension (no registered name exists for RFC 9068 tokens);
 * the JWKS `alg` members say the same.
 */
import { CLIENT_AUTH_METHODS } from '../../clients/domain/client-authentication.js';
import { openIdProviderMetadata } from '../../oidc/domain/discovery.js';

/** Grants the token endpoint implements. */
export const GRANT_TYPES_SUPPORTED = ['authorization_code', 'client_credentials'];

export interface MetadataSettings {
  issuer: string;
  baseUrl: string;
  signingAlg: string;
  registrationEnabled: boolean;
  scopesSupported: readonly string[];
}

export function authorizationServerMetadata(s: MetadataSettings): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    issuer: s.issuer,
    token_endpoint: `${s.baseUrl}/oauth/token`,
    jwks_uri: `${s.baseUrl}/.well-known/jwks.json`,
  };
  if (s.registrationEnabled) doc.registration_endpoint = `${s.baseUrl}/oauth/register`;
  if (s.scopesSupported.length > 0) doc.scopes_supported = [...s.scopesSupported];
  Object.assign(doc, {
    authorization_endpoint: `${s.baseUrl}/oauth/authorize`,
    response_types_supported: ['code'],
    response_modes_supported: ['query', 'form_post'],
    grant_types_supported: [...GRANT_TYPES_SUPPORTED],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS, 'none'],
    introspection_endpoint: `${s.baseUrl}/oauth/introspect`,
    introspection_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    revocation_endpoint: `${s.baseUrl}/oauth/revoke`,
    revocation_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    access_token_signing_alg_values_supported: [s.signingAlg],
  });
  return doc;
}

export function openIdConfiguration(s: MetadataSettings): Record<string, unknown> {
  return openIdProviderMetadata(authorizationServerMetadata(s), {
    baseUrl: s.baseUrl,
    signingAlg: s.signingAlg,
    apiScopes: s.scopesSupported,
    grantTypes: GRANT_TYPES_SUPPORTED,
  });
}

/**
 * The JWKS `max-age`: never longer than the publish lead (a new key is published KEY_PUBLISH_LEAD_SECONDS before it
 * signs), so a relying party honouring max-age always holds the next key before the first token signed with it.
 */
export function jwksMaxAge(config: { JWKS_MAX_AGE_SECONDS: number; KEY_PUBLISH_LEAD_SECONDS: number }): number {
  return Math.min(config.JWKS_MAX_AGE_SECONDS, config.KEY_PUBLISH_LEAD_SECONDS);
}
