/**
 * Registration metadata for clients that use the authorization endpoint (RFC 7591 §2, OpenID Connect Dynamic
 * Client Registration §2, RP-Initiated Logout §3.1), layered on the existing client_credentials validation:
 * the fields below are validated here, everything else by `validateClientMetadata`.
 *
 * - `grant_types` ⊆ {authorization_code, refresh_token, client_credentials}; omitted, it is
 *   ["authorization_code"] when redirect URIs are given (RFC 7591's default) and ["client_credentials"] otherwise
 *   (what registration meant before the authorization endpoint existed). `refresh_token` needs
 *   `authorization_code`: a refresh token only comes from a code exchange here.
 * - `response_types` is ["code"] exactly when `authorization_code` is registered, and empty otherwise
 *   (RFC 7591 §2.1 requires the two lists to agree).
 * - `token_endpoint_auth_method: "none"` registers a public client (native and browser apps). It cannot use
 *   client_credentials, which would then authenticate nobody.
 * - `application_type` (web by default) sets the redirect URI rules (see redirect-uri.ts); the same rules apply to
 *   `post_logout_redirect_uris`.
 * - The OpenID scopes (openid, profile, email, offline_access) are always registrable; other scopes go through
 *   the configured list as before. A code-flow client that names no scope gets "openid".
 */
import { CLIENT_AUTH_METHODS, type ClientAuthMethod } from '../../clients/domain/client-authentication.js';
import {
  type ClientMetadata,
  ClientMetadataError,
  type MetadataPolicy,
  validateClientMetadata,
} from '../../clients/domain/client-metadata.js';
import { formatScope, parseScope, ScopeSyntaxError } from '../../tokens/domain/scope.js';
import { OPENID_SCOPES } from '../../oidc/domain/discovery.js';
import { APPLICATION_TYPES, type ApplicationType, redirectUriProblem } from './redirect-uri.js';

export const GRANT_TYPES: readonly string[] = ['authorization_code', 'refresh_token', 'client_credentials'];
const MAX_URIS = 20;

export interface RedirectClientMetadata extends Omit<ClientMetadata, 'token_endpoint_auth_method'> {
  token_endpoint_auth_method: ClientAuthMethod | 'none';
  application_type: ApplicationType;
  post_logout_redirect_uris: string[];
}

const invalid = (message: string) => new ClientMetadataError('invalid_client_metadata', message);

function list(doc: Record<string, unknown>, name: string, error = invalid): string[] | undefined {
  const value = doc[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw error(`${name} must be an array of non-empty strings`);
  }
  if (value.length > MAX_URIS) throw error(`${name} has more than ${MAX_URIS} entries`);
  return [...new Set(value as string[])];
}

function uris(doc: Record<string, unknown>, name: string, type: ApplicationType, error = invalid): string[] {
  const values = list(doc, name, error) ?? [];
  for (const uri of values) {
    const problem = redirectUriProblem(uri, type);
    if (problem) throw error(`${name}: ${uri.slice(0, 100)} ${problem}`);
  }
  return values;
}

/** Validates a registration document for any client type. Throws ClientMetadataError. */
export function validateRedirectClientMetadata(input: unknown, policy: MetadataPolicy): RedirectClientMetadata {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalid('the client metadata must be a JSON object');
  }
  const doc = input as Record<string, unknown>;

  const type = doc.application_type ?? 'web';
  if (typeof type !== 'string' || !(APPLICATION_TYPES as readonly string[]).includes(type)) {
    throw invalid('application_type must be web or native');
  }
  const applicationType = type as ApplicationType;
  const redirectError = (m: string) => new ClientMetadataError('invalid_redirect_uri', m);
  const redirectUris = uris(doc, 'redirect_uris', applicationType, redirectError);
  const postLogout = uris(doc, 'post_logout_redirect_uris', applicationType);

  const grantTypes = list(doc, 'grant_types') ?? [
    redirectUris.length > 0 ? 'authorization_code' : 'client_credentials',
  ];
  const unknownGrant = grantTypes.find((g) => !GRANT_TYPES.includes(g));
  if (unknownGrant !== undefined || grantTypes.length === 0) {
    throw invalid(`grant_types must be among ${GRANT_TYPES.join(', ')}`);
  }
  const code = grantTypes.includes('authorization_code');
  if (grantTypes.includes('refresh_token') && !code) throw invalid('refresh_token needs the authorization_code grant');

  const responseTypes = list(doc, 'response_types') ?? (code ? ['code'] : []);
  if (code ? responseTypes.length !== 1 || responseTypes[0] !== 'code' : responseTypes.length > 0) {
    throw invalid(code ? 'response_types must be ["code"]' : 'response_types must be empty without authorization_code');
  }
  if (code && redirectUris.length === 0) throw redirectError('redirect_uris is required for authorization_code');
  if (!code && postLogout.length > 0) throw invalid('post_logout_redirect_uris needs the authorization_code grant');

  const method = doc.token_endpoint_auth_method ?? 'client_secret_basic';
  if (
    typeof method !== 'string' ||
    (method !== 'none' && !(CLIENT_AUTH_METHODS as readonly string[]).includes(method))
  ) {
    throw invalid(`token_endpoint_auth_method must be one of none, ${CLIENT_AUTH_METHODS.join(', ')}`);
  }
  if (method === 'none' && grantTypes.includes('client_credentials')) {
    throw invalid('client_credentials needs an authenticated client: token_endpoint_auth_method cannot be none');
  }

  if (doc.scope !== undefined && doc.scope !== null && typeof doc.scope !== 'string')
    throw invalid('scope must be a string');
  let scopes: string[];
  try {
    scopes = parseScope(typeof doc.scope === 'string' ? doc.scope : '');
  } catch (err) {
    if (err instanceof ScopeSyntaxError) throw invalid(`scope: ${err.message}`);
    throw err;
  }
  if (code && scopes.length === 0) scopes = ['openid'];
  const openidScopes = scopes.filter((s) => OPENID_SCOPES.includes(s));
  if (!code && openidScopes.length > 0) throw invalid('the OpenID scopes need the authorization_code grant');

  // Everything else (names, URIs, lifetimes, resources, rate limits) as for any client.
  const rest = validateClientMetadata(
    {
      ...doc,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: method === 'none' ? 'client_secret_basic' : method,
      scope: formatScope(scopes.filter((s) => !OPENID_SCOPES.includes(s))),
    },
    policy,
  );
  return {
    ...rest,
    redirect_uris: redirectUris,
    grant_types: grantTypes,
    response_types: responseTypes,
    token_endpoint_auth_method: method as ClientAuthMethod | 'none',
    scope: formatScope(scopes),
    application_type: applicationType,
    post_logout_redirect_uris: postLogout,
  };
}
