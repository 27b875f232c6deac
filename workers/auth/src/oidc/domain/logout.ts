/**
 * RP-Initiated Logout 1.0: validating a request to the end-session endpoint and deciding what to do.
 *
 * - `post_logout_redirect_uri` is only honoured for an identified client (by `client_id` or by the `aud` of a
 *   valid `id_token_hint`) and only when it exactly matches one the client registered (§2, §3). When both
 *   identify a client they must agree. An unusable request shows an error page; it never redirects.
 * - `id_token_hint` is verified by a function passed in; an expired ID token is acceptable as a hint, one not
 *   signed by this issuer is not.
 * - Logout always asks the user to confirm, except when a valid hint names the browser's current session:
 *   otherwise any site could sign the user out by sending the browser here (logout CSRF, §6).
 * - `state` goes back to the client unchanged; `ui_locales` and `logout_hint` are tolerated.
 */
import { readAuthorizationParameters } from '../../authorize/domain/parameters.js';

export interface LogoutClient {
  clientId: string;
  postLogoutRedirectUris: readonly string[];
}

export interface VerifiedHint {
  sub: string;
  /** The `aud` of the ID token: the client it was issued to. */
  clientId: string;
  sid?: string;
}

export interface LogoutRequest {
  clientId?: string;
  idTokenHint?: string;
  postLogoutRedirectUri?: string;
  state?: string;
}

export type LogoutProblem = { kind: 'error-page'; description: string };

/** Reads the end-session parameters (GET query or POST form); repeated parameters are an error. */
export function readLogoutRequest(entries: Iterable<readonly [string, string]>): LogoutRequest | LogoutProblem {
  const params = readAuthorizationParameters(entries);
  if (params.tooMany) return { kind: 'error-page', description: 'too many parameters' };
  const names = ['client_id', 'id_token_hint', 'post_logout_redirect_uri', 'state'];
  const bad = names.find((n) => params.repeated.has(n) || params.oversized.has(n));
  if (bad) return { kind: 'error-page', description: `${bad} is repeated or too long` };
  const v = params.values;
  const req: LogoutRequest = {};
  if (v.has('client_id')) req.clientId = v.get('client_id')!;
  if (v.has('id_token_hint')) req.idTokenHint = v.get('id_token_hint')!;
  if (v.has('post_logout_redirect_uri')) req.postLogoutRedirectUri = v.get('post_logout_redirect_uri')!;
  if (v.has('state')) req.state = v.get('state')!;
  return req;
}

/** The client to look up for this request (from client_id, else from the verified hint). */
export function logoutClientId(req: LogoutRequest, hint: VerifiedHint | undefined): string | undefined {
  return req.clientId ?? hint?.clientId;
}

export interface LogoutContext {
  /** The verified hint, when one was sent and verified; `invalid` when one was sent and failed. */
  hint: VerifiedHint | 'invalid' | undefined;
  client: LogoutClient | undefined;
  /** The browser's current session, if any. */
  session: { id: string; userId: string } | undefined;
}

export type LogoutDecision =
  | LogoutProblem
  | {
      kind: 'confirm' | 'logout';
      /** Where to send the browser afterwards (with `state`), or undefined for the server's own page. */
      redirectUri?: string;
      state?: string;
      clientId?: string;
      /** The session to end: the current one. */
      sessionId?: string;
    };

export function decideLogout(req: LogoutRequest, ctx: LogoutContext): LogoutDecision {
  if (ctx.hint === 'invalid') return { kind: 'error-page', description: 'id_token_hint is not valid' };
  const hint = ctx.hint;
  if (req.clientId !== undefined && hint && hint.clientId !== req.clientId) {
    return { kind: 'error-page', description: 'client_id does not match the id_token_hint' };
  }
  const clientId = logoutClientId(req, hint);
  if (clientId !== undefined && (!ctx.client || ctx.client.clientId !== clientId)) {
    return { kind: 'error-page', description: 'unknown client' };
  }
  let redirectUri: string | undefined;
  if (req.postLogoutRedirectUri !== undefined) {
    if (!ctx.client)
      return { kind: 'error-page', description: 'post_logout_redirect_uri needs client_id or id_token_hint' };
    if (!ctx.client.postLogoutRedirectUris.includes(req.postLogoutRedirectUri)) {
      return { kind: 'error-page', description: 'post_logout_redirect_uri is not registered for this client' };
    }
    redirectUri = req.postLogoutRedirectUri;
  }
  const session = ctx.session;
  // A hint naming this very session (its sid) shows the request comes from a client the user signed in to here.
  const sameSession =
    hint !== undefined && session !== undefined && hint.sub === session.userId && hint.sid === session.id;
  const decision: LogoutDecision = { kind: sameSession || !session ? 'logout' : 'confirm' };
  if (redirectUri !== undefined) decision.redirectUri = redirectUri;
  if (redirectUri !== undefined && req.state !== undefined) decision.state = req.state;
  if (clientId !== undefined) decision.clientId = clientId;
  if (session) decision.sessionId = session.id;
  return decision;
}
