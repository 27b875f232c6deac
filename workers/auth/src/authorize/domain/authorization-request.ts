/**
 * Validates an authorization request (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2) and decides one of:
 *
 * - `error-page`: the client or the redirect URI cannot be trusted, so the error is shown to the user and the
 *   browser is never redirected (RFC 6749 §4.1.2.1; RFC 9700 §4.1.3);
 * - `error-redirect`: the redirect URI is validated, so the error goes back to the client there, with `state`
 *   and `iss` (RFC 9207) in the chosen response mode;
 * - `valid`: a request object the login and consent steps work from.
 *
 * Decisions:
 * - `redirect_uri` is always required, even with a single registered URI: matching is then always explicit.
 * - `response_type=code` only; PKCE with S256 for every client, confidential ones included (RFC 9700 §2.1.1).
 * - `scope` is required. With `openid` it is an OpenID Connect request (ID token, nonce, UserInfo); without, a
 *   plain OAuth 2.0 request that gets an access token only. Every requested scope must be registered for the
 *   client. `offline_access` is dropped unless the client may use refresh tokens (OIDC Core §11).
 * - `request`, `request_uri` and `registration` are refused with their dedicated errors; `claims` is ignored
 *   (`claims_parameter_supported` is false); `display`, `ui_locales`, `claims_locales`, `acr_values`, `resource`
 *   and unknown parameters are tolerated.
 * - `id_token_hint` is checked by a verifier passed in (signature by this issuer, `aud` containing the client;
 *   an expired token is acceptable as a hint).
 */
import { parseScope, ScopeSyntaxError, scopesOutside } from '../../tokens/domain/scope.js';
import {
  type AuthorizationParameters,
  type Prompt,
  parseHintList,
  parseMaxAge,
  parsePrompt,
  safeDescription,
} from './parameters.js';
import { checkPkceRequest, PKCE_PROBLEM_MESSAGES } from './pkce.js';
import { matchRedirectUri } from './redirect-uri.js';

/** What validation needs to know about the registered client. */
export interface AuthorizeClient {
  clientId: string;
  redirectUris: readonly string[];
  grantTypes: readonly string[];
  responseTypes: readonly string[];
  /** The scopes registered for the client. */
  scopes: readonly string[];
}

export type ResponseMode = 'query' | 'form_post';

export interface IdTokenHint {
  sub: string;
  sid?: string;
}

export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  responseMode: ResponseMode;
  scopes: string[];
  /** True when `openid` was requested: an ID token will be issued. */
  openid: boolean;
  codeChallenge: string;
  codeChallengeMethod: 'S256';
  state?: string;
  nonce?: string;
  prompt: Prompt[];
  maxAge?: number;
  loginHint?: string;
  idTokenHint?: IdTokenHint;
  uiLocales: string[];
  acrValues: string[];
}

export type AuthorizationError =
  | 'invalid_request'
  | 'unauthorized_client'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'request_not_supported'
  | 'request_uri_not_supported'
  | 'registration_not_supported';

export type AuthorizeOutcome =
  | { kind: 'error-page'; error: 'invalid_request' | 'invalid_client'; description: string }
  | {
      kind: 'error-redirect';
      redirectUri: string;
      responseMode: ResponseMode;
      error: AuthorizationError;
      description: string;
      state?: string;
    }
  | { kind: 'valid'; request: AuthorizationRequest };

export interface AuthorizeContext {
  /** Verifies an `id_token_hint` issued by this server to this client; undefined when it is not valid. */
  verifyIdTokenHint?: (hint: string, clientId: string) => Promise<IdTokenHint | undefined>;
}

const OFFLINE_ACCESS = 'offline_access';

const page = (error: 'invalid_request' | 'invalid_client', description: string): AuthorizeOutcome => ({
  kind: 'error-page',
  error,
  description,
});

/** Decides what to do with an authorization request; `client` is the registered client named by client_id. */
export async function validateAuthorizationRequest(
  params: AuthorizationParameters,
  client: AuthorizeClient | undefined,
  ctx: AuthorizeContext = {},
): Promise<AuthorizeOutcome> {
  if (params.tooMany) return page('invalid_request', 'too many parameters');
  const { values, repeated, oversized } = params;

  // 1. Who is asking, and where may the answer go? Until both are known, nothing is redirected.
  if (repeated.has('client_id')) return page('invalid_request', 'client_id is repeated');
  if (oversized.has('client_id') || !values.has('client_id')) return page('invalid_request', 'client_id is missing');
  if (!client || client.clientId !== values.get('client_id')) return page('invalid_client', 'unknown client');
  if (repeated.has('redirect_uri')) return page('invalid_request', 'redirect_uri is repeated');
  if (!values.has('redirect_uri') && !oversized.has('redirect_uri')) {
    return page('invalid_request', 'redirect_uri is required');
  }
  const redirectUri = matchRedirectUri(values.get('redirect_uri'), client.redirectUris);
  if (redirectUri === undefined) return page('invalid_request', 'redirect_uri is not registered for this client');

  // 2. How the answer goes back: the first thing settled, so every later error uses it.
  let responseMode: ResponseMode = 'query';
  const mode = values.get('response_mode');
  const modeValid = mode === undefined || mode === 'query' || mode === 'form_post';
  if (modeValid && mode === 'form_post' && /^https?:/.test(redirectUri)) responseMode = 'form_post';
  const stateUsable = !repeated.has('state') && !oversized.has('state');
  const state = stateUsable ? values.get('state') : undefined;
  const fail = (error: AuthorizationError, description: string): AuthorizeOutcome => ({
    kind: 'error-redirect',
    redirectUri,
    responseMode,
    error,
    description: safeDescription(description),
    ...(state !== undefined ? { state } : {}),
  });

  if (repeated.size > 0) return fail('invalid_request', `parameter repeated: ${[...repeated][0]}`);
  if (oversized.size > 0) return fail('invalid_request', `parameter too long: ${[...oversized][0]}`);
  if (!modeValid) return fail('invalid_request', 'response_mode must be query or form_post');
  if (mode === 'form_post' && responseMode !== 'form_post') {
    return fail('invalid_request', 'response_mode form_post needs an http(s) redirect_uri');
  }

  // 3. What this server does not do, each with its own error code.
  if (values.has('request')) return fail('request_not_supported', 'request objects are not supported');
  if (values.has('request_uri')) return fail('request_uri_not_supported', 'request_uri is not supported');
  if (values.has('registration')) return fail('registration_not_supported', 'registration is not supported');

  // 4. The grant.
  const responseType = values.get('response_type');
  if (responseType === undefined) return fail('invalid_request', 'response_type is required');
  if (responseType !== 'code') return fail('unsupported_response_type', 'only response_type=code is supported');
  if (!client.grantTypes.includes('authorization_code') || !client.responseTypes.includes('code')) {
    return fail('unauthorized_client', 'this client may not use the authorization code grant');
  }

  // 5. Scope.
  const scopeText = values.get('scope');
  if (scopeText === undefined) return fail('invalid_request', 'scope is required');
  let scopes: string[];
  try {
    scopes = parseScope(scopeText);
  } catch (err) {
    if (err instanceof ScopeSyntaxError) return fail('invalid_scope', err.message);
    throw err;
  }
  if (!client.grantTypes.includes('refresh_token')) scopes = scopes.filter((s) => s !== OFFLINE_ACCESS);
  const extra = scopesOutside(scopes, client.scopes);
  if (extra.length > 0) return fail('invalid_scope', `scope not allowed for this client: ${extra[0]}`);
  if (scopes.length === 0) return fail('invalid_scope', 'no usable scope requested');

  // 6. PKCE.
  const pkce = checkPkceRequest(values.get('code_challenge'), values.get('code_challenge_method'));
  if (pkce) return fail('invalid_request', PKCE_PROBLEM_MESSAGES[pkce]);

  // 7. OpenID Connect parameters.
  const prompt = parsePrompt(values.get('prompt'));
  if (typeof prompt === 'string') return fail('invalid_request', prompt);
  const maxAge = parseMaxAge(values.get('max_age'));
  if (typeof maxAge === 'string') return fail('invalid_request', maxAge);
  let idTokenHint: IdTokenHint | undefined;
  const hint = values.get('id_token_hint');
  if (hint !== undefined) {
    idTokenHint = ctx.verifyIdTokenHint ? await ctx.verifyIdTokenHint(hint, client.clientId) : undefined;
    if (!idTokenHint) return fail('invalid_request', 'id_token_hint is not valid');
  }

  const request: AuthorizationRequest = {
    clientId: client.clientId,
    redirectUri,
    responseMode,
    scopes,
    openid: scopes.includes('openid'),
    codeChallenge: values.get('code_challenge')!,
    codeChallengeMethod: 'S256',
    prompt,
    uiLocales: parseHintList(values.get('ui_locales')),
    acrValues: parseHintList(values.get('acr_values')),
  };
  if (state !== undefined) request.state = state;
  const nonce = values.get('nonce');
  if (nonce !== undefined) request.nonce = nonce;
  if (maxAge !== undefined) request.maxAge = maxAge;
  const loginHint = values.get('login_hint');
  if (loginHint !== undefined) request.loginHint = loginHint;
  if (idTokenHint) request.idTokenHint = idTokenHint;
  return { kind: 'valid', request };
}
