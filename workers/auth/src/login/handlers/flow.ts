/**
 * The authorization request's path through the hosted login, from the parked login transaction: authenticate
 * (login/domain/authentication.ts), consent (consent.ts), then issue the code and send the browser back to the
 * client's validated redirect URI (RFC 6749 §4.1.2, RFC 9207 `iss`, query or form_post).
 */
import { machineClient } from '../../../../../shared/state/store.js';
import {
  type AuthorizationCodeGrant,
  AUTHORIZATION_CODE_TTL_SECONDS,
  newAuthorizationCode,
} from '../../authorize/domain/authorization-code.js';
import type { ResponseMode } from '../../authorize/domain/authorization-request.js';
import {
  type AuthorizationResult,
  authorizationResponseParams,
  buildRedirectUrl,
} from '../../authorize/domain/authorization-response.js';
import { authorizationCodes } from '../../authorize/domain/code-machine.js';
import type { ClientRecord } from '../../clients/domain/client-store.js';
import type { AuthContext, AuthServices } from '../../services.js';
import { decideAuthentication } from '../domain/authentication.js';
import { decideConsent } from '../domain/consent.js';
import { clearCookie, readCookie, setCookie } from '../domain/cookies.js';
import { consents, loginTransactions } from '../domain/login-state.js';
import {
  type LoginTransaction,
  checkTransaction,
  parseTransactionId,
  transactionKey,
} from '../domain/login-transaction.js';
import { requireStepUp } from '../../mfa/handlers/step-up.js';
import { formPostPage } from '../pages/form-post.js';
import { formActionSource, newNonce } from '../pages/layout.js';
import type { CsrfForm } from '../domain/csrf.js';
import { csrfFor, nowSeconds, readGenuineForm, refusedForm, sendPage, seeOther, showError } from './browser.js';
import { type CurrentSession, currentSession } from './sessions-store.js';

/** The `login` cookie naming the transaction (browser-session cookie, host-only, HttpOnly, Lax). */
export function transactionCookie(services: AuthServices, tx: LoginTransaction): string {
  return setCookie('login', tx.id, services.login.cookies);
}

/** Parks a validated request: stored under and with the hash of its id (the id is a secret only the cookie carries). */
export async function parkTransaction(services: AuthServices, tx: LoginTransaction): Promise<void> {
  const key = await transactionKey(tx.id);
  await machineClient(services.state, loginTransactions).put(key, { ...tx, id: key });
}

/** The browser's login transaction, checked against its cookie; undefined when missing, expired or not its own. */
export async function currentTransaction(c: AuthContext): Promise<LoginTransaction | undefined> {
  const services = c.get('services');
  const id = parseTransactionId(readCookie(c.req.header('cookie'), 'login', services.login.cookies));
  if (id === undefined) return undefined;
  const key = await transactionKey(id);
  const stored = await machineClient(services.state, loginTransactions).get(key);
  // Stored with the hash of its id (see parkTransaction); the cookie's id is the real one.
  const tx = stored && stored.id === key ? { ...stored, id } : undefined;
  return checkTransaction(tx, id, nowSeconds()).ok ? tx : undefined;
}

export function noTransaction(): Response {
  return showError(
    400,
    'Sign-in could not continue',
    'This sign-in has expired or was already completed. Go back to the application and start again.',
    'login_transaction_missing',
  );
}

/** A post on one of the transaction's pages: the transaction and the form's fields, or the page to answer instead. */
export async function transactionPost(
  c: AuthContext,
  form: CsrfForm,
): Promise<{ tx: LoginTransaction; fields: Map<string, string> } | Response> {
  const tx = await currentTransaction(c);
  if (!tx) return noTransaction();
  const fields = await readGenuineForm(c, form, tx.id);
  return fields ? { tx, fields } : refusedForm();
}

/** The transaction and the browser's session, for the pages after sign-in; with no session, the sign-in page. */
export async function transactionSession(
  c: AuthContext,
): Promise<{ tx: LoginTransaction; session: CurrentSession } | Response> {
  const tx = await currentTransaction(c);
  if (!tx) return noTransaction();
  const session = await currentSession(c.get('services'), c.req.header('cookie'));
  return session ? { tx, session } : seeOther('/login');
}

/**
 * What every page of the transaction carries: a fresh CSP nonce, the form's CSRF token bound to the transaction,
 * where the form posts, and the client's origin for forms that end in a redirect to it.
 */
export async function transactionPage(c: AuthContext, tx: LoginTransaction, form: CsrfForm, action: string) {
  return { nonce: newNonce(), csrfToken: await csrfFor(c, form, tx.id), action, formActions: clientFormActions(tx) };
}

/** The active client for a transaction (it may have been deleted meanwhile). */
export async function transactionClient(c: AuthContext, tx: LoginTransaction): Promise<ClientRecord | undefined> {
  const record = await c.get('services').clients.get(tx.request.clientId, c.executionCtx);
  return record?.status === 'active' ? record : undefined;
}

/** The CSP form-action source for pages whose form ends in a redirect to the client. */
export function clientFormActions(tx: LoginTransaction): string[] {
  const source = formActionSource(tx.request.redirectUri);
  return source ? [source] : [];
}

/** Sends the authorization response (a code or an error) to the transaction's validated redirect URI. */
export function respondToClient(
  services: AuthServices,
  target: { redirectUri: string; responseMode: ResponseMode; state?: string },
  result: AuthorizationResult,
  cookies: readonly string[] = [],
): Response {
  const params = authorizationResponseParams(services.config.ISSUER, result, target.state);
  if (target.responseMode === 'form_post') {
    return sendPage(formPostPage({ nonce: newNonce(), redirectUri: target.redirectUri, params }), cookies);
  }
  const headers = new Headers({ location: buildRedirectUrl(target.redirectUri, params), 'cache-control': 'no-store' });
  for (const cookie of cookies) headers.append('set-cookie', cookie);
  return new Response(null, { status: 303, headers });
}

/**
 * Ends the transaction with an error sent back to the client (its redirect URI was validated at the start).
 * `cookies` go out with it (a session started by this sign-in).
 */
export async function failTransaction(
  c: AuthContext,
  tx: LoginTransaction,
  error: string,
  description: string,
  cookies: readonly string[] = [],
): Promise<Response> {
  const services = c.get('services');
  await machineClient(services.state, loginTransactions).consume(await transactionKey(tx.id));
  return respondToClient(services, tx.request, { error, error_description: description }, [
    ...cookies,
    clearCookie('login', services.login.cookies),
  ]);
}

/**
 * Takes the transaction as far as it can go without the user: to the sign-in page, the consent page, or the
 * client with a code or an error. `cookies` are set on whatever response comes out (a new session's).
 * `justSignedIn`: the session was started by a sign-in within this transaction, which satisfies prompt=login and
 * max_age; a session the browser brought along never does, even one started in the same second.
 */
export async function proceed(
  c: AuthContext,
  tx: LoginTransaction,
  known?: CurrentSession | null,
  cookies: string[] = [],
  justSignedIn = false,
): Promise<Response> {
  const services = c.get('services');
  const current = known === undefined ? await currentSession(services, c.req.header('cookie')) : (known ?? undefined);
  const now = nowSeconds();
  const request = tx.request;
  const auth = decideAuthentication({
    session: current?.session,
    prompt: request.prompt,
    ...(request.maxAge !== undefined ? { maxAge: request.maxAge } : {}),
    ...(request.idTokenHint ? { idTokenHint: request.idTokenHint } : {}),
    requestStartedAt: justSignedIn ? tx.createdAt : Number.MAX_SAFE_INTEGER,
    now,
  });
  if (auth.action === 'error') return failTransaction(c, tx, auth.error, auth.description);
  if (auth.action === 'sign-in') return seeOther('/login', cookies);
  if (auth.action === 'select-account') return seeOther('/login/select', cookies);
  const session = current!;
  // --- MFA step-up hook (mfa/handlers/step-up.ts): acr_values asking for MFA gets the second factor first. ---
  const stepUp = await requireStepUp(c, tx, session, cookies);
  if (stepUp instanceof Response) return stepUp;
  // The sign-in itself stands, as after a refused consent: its session goes with the refusal, so a user told that a
  // second factor is needed can enrol one at /account/security at once.
  if (stepUp) return failTransaction(c, tx, stepUp.error, stepUp.description, cookies);
  // --- end of MFA step-up hook ---

  const client = await transactionClient(c, tx);
  if (!client) return failTransaction(c, tx, 'unauthorized_client', 'the client no longer exists');
  const granted = await machineClient(services.state, consents).get(session.session.userId, client.clientId);
  const consent = decideConsent({
    firstParty: client.firstParty === true,
    requestedScopes: request.scopes,
    grantedScopes: granted,
    prompt: request.prompt,
  });
  if (consent.action === 'error') return failTransaction(c, tx, consent.error, consent.description);
  if (consent.action === 'ask') return seeOther('/consent', cookies);
  return issueCode(c, tx, session, cookies);
}

/** Consumes the transaction and answers the client with a new authorization code. */
export async function issueCode(
  c: AuthContext,
  tx: LoginTransaction,
  current: CurrentSession,
  cookies: string[] = [],
): Promise<Response> {
  const services = c.get('services');
  // One transaction, one code: a reload or a second tab cannot get another from the same request.
  const txKey = await transactionKey(tx.id);
  const taken = await machineClient(services.state, loginTransactions).consume(txKey);
  if (!taken || taken.id !== txKey) return noTransaction();
  const now = nowSeconds();
  const { code, key } = await newAuthorizationCode();
  const request = tx.request;
  const grant: AuthorizationCodeGrant = {
    clientId: request.clientId,
    redirectUri: request.redirectUri,
    scopes: request.scopes,
    codeChallenge: request.codeChallenge,
    userId: current.session.userId,
    sessionId: current.handle,
    authTime: current.session.authTime,
    amr: current.session.amr,
    issuedAt: now,
    expiresAt: now + AUTHORIZATION_CODE_TTL_SECONDS,
  };
  if (current.session.acr !== undefined) grant.acr = current.session.acr;
  if (request.nonce !== undefined) grant.nonce = request.nonce;
  await machineClient(services.state, authorizationCodes).issue(key, grant);
  return respondToClient(services, request, { code }, [...cookies, clearCookie('login', services.login.cookies)]);
}
