/**
 * OpenID Provider metadata (OpenID Connect Discovery 1.0 §3, RP-Initiated Logout 1.0 §2.1, RFC 9207 §3) added
 * to the authorization server metadata the token service already publishes. It advertises exactly what the
 * sign-in capability implements: the code flow with PKCE S256, query and form_post response modes, public
 * subjects, ID tokens signed with the platform's signing algorithm, and the hosted login's prompt values.
 * Booleans whose default would claim something false (request_uri_parameter_supported defaults to true) are
 * stated explicitly.
 */
import { ACR_VALUES_SUPPORTED } from '../../mfa/domain/step-up.js';
import { CLAIMS_SUPPORTED } from './claims.js';

export interface OpenIdProviderSettings {
  baseUrl: string;
  /** The platform's signing algorithm (ES256 or EdDSA). */
  signingAlg: string;
  /** Scopes the server offers beyond the OpenID ones (from configuration). */
  apiScopes: readonly string[];
  /** Grant types the token endpoint implements. */
  grantTypes: readonly string[];
}

export const OPENID_SCOPES: readonly string[] = ['openid', 'profile', 'email', 'offline_access'];
export const PROMPT_VALUES_SUPPORTED: readonly string[] = ['none', 'login', 'consent', 'select_account'];

/** `base` is the RFC 8414 document; the result is the OpenID Provider configuration. */
export function openIdProviderMetadata(
  base: Readonly<Record<string, unknown>>,
  s: OpenIdProviderSettings,
): Record<string, unknown> {
  const authMethods = Array.isArray(base.token_endpoint_auth_methods_supported)
    ? (base.token_endpoint_auth_methods_supported as string[])
    : [];
  return {
    ...base,
    authorization_endpoint: `${s.baseUrl}/oauth/authorize`,
    userinfo_endpoint: `${s.baseUrl}/oauth/userinfo`,
    end_session_endpoint: `${s.baseUrl}/oauth/logout`,
    scopes_supported: [...new Set([...OPENID_SCOPES, ...s.apiScopes])],
    response_types_supported: ['code'],
    response_modes_supported: ['query', 'form_post'],
    grant_types_supported: [...s.grantTypes],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [s.signingAlg],
    token_endpoint_auth_methods_supported: [...new Set([...authMethods, 'none'])],
    code_challenge_methods_supported: ['S256'],
    claims_supported: [...CLAIMS_SUPPORTED],
    claim_types_supported: ['normal'],
    prompt_values_supported: [...PROMPT_VALUES_SUPPORTED],
    acr_values_supported: [...ACR_VALUES_SUPPORTED],
    display_values_supported: ['page'],
    authorization_response_iss_parameter_supported: true,
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    require_request_uri_registration: false,
    frontchannel_logout_supported: false,
    backchannel_logout_supported: false,
  };
}
