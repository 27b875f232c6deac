/**
 * `GET|POST /oauth/logout`: RP-Initiated Logout 1.0 (oidc/domain/logout.ts decides). A request that names the
 * browser's current session through a valid `id_token_hint` signs out at once; any other asks the user first
 * (the confirmation form is CSRF-protected and bound to the session). Afterwards the browser goes to the
 * client's registered `post_logout_redirect_uri` with `state`, or to the signed-out page.
 */
import { buildRedirectUrl } from '../../authorize/domain/authorization-response.js';
import { clearCookie } from '../../login/domain/cookies.js';
import {
  addressOf,
  csrfFor,
  formIsGenuine,
  readPageForm,
  refusedForm,
  sendPage,
  showError,
} from '../../login/handlers/browser.js';
import { loginEvent } from '../../login/handlers/events.js';
import { type CurrentSession, currentSession, endSession } from '../../login/handlers/sessions-store.js';
import { formActionSource, newNonce } from '../../login/pages/layout.js';
import { signedOutPage, signOutPage } from '../../login/pages/sign-out.js';
import type { AuthContext } from '../../services.js';
import {
  decideLogout,
  type LogoutDecision,
  logoutClientId,
  readLogoutRequest,
  type VerifiedHint,
} from '../domain/logout.js';
import { verifyIdTokenHint } from './jwt.js';

async function finish(
  c: AuthContext,
  decision: Exclude<LogoutDecision, { kind: 'error-page' }>,
  session: CurrentSession | undefined,
): Promise<Response> {
  const services = c.get('services');
  const cookies = [clearCookie('session', services.login.cookies)];
  if (session) {
    await endSession(services, session.session);
    const ip = addressOf(c);
    const who = { userId: session.session.userId, ...(decision.clientId ? { clientId: decision.clientId } : {}) };
    loginEvent(c, ip, 'user.logout', 'success', who, { session_id: session.handle });
    loginEvent(c, ip, 'session.revoked', 'success', who, { session_id: session.handle, reason: 'logout' });
  }
  if (decision.redirectUri) {
    const params: [string, string][] = decision.state !== undefined ? [['state', decision.state]] : [];
    const headers = new Headers({
      location: buildRedirectUrl(decision.redirectUri, params),
      'cache-control': 'no-store',
    });
    for (const cookie of cookies) headers.append('set-cookie', cookie);
    return new Response(null, { status: 303, headers });
  }
  return sendPage(signedOutPage({ nonce: newNonce() }), cookies);
}

export async function endSessionEndpoint(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const fields = c.req.method === 'POST' ? await readPageForm(c) : new Map(new URL(c.req.url).searchParams);
  const session = await currentSession(services, c.req.header('cookie'));
  const confirming = c.req.method === 'POST' && fields.has('decision');
  if (confirming) {
    if (!session || !(await formIsGenuine(c, fields, 'sign-out', session.id))) return refusedForm();
    if (fields.get('decision') !== 'sign-out') return showError(200, 'You are still signed in', 'Nothing was changed.');
  }
  const entries = [...fields].filter(([k]) =>
    ['client_id', 'id_token_hint', 'post_logout_redirect_uri', 'state'].includes(k),
  );
  const request = readLogoutRequest(entries);
  if ('kind' in request) return showError(400, 'Sign-out request not valid', request.description);
  let hint: VerifiedHint | 'invalid' | undefined;
  if (request.idTokenHint !== undefined) {
    const claims = await verifyIdTokenHint(services, request.idTokenHint);
    hint =
      claims && claims.aud.length === 1
        ? { sub: claims.sub, clientId: claims.aud[0]!, ...(claims.sid ? { sid: claims.sid } : {}) }
        : 'invalid';
  }
  const clientId = logoutClientId(request, hint === 'invalid' ? undefined : hint);
  const record =
    clientId !== undefined && clientId.length <= 256 ? await services.clients.get(clientId, c.executionCtx) : null;
  const client =
    record?.status === 'active'
      ? {
          clientId: record.clientId,
          postLogoutRedirectUris:
            (record.metadata as unknown as { post_logout_redirect_uris?: string[] }).post_logout_redirect_uris ?? [],
        }
      : undefined;
  const decision = decideLogout(request, {
    hint,
    client,
    session: session ? { id: session.handle, userId: session.session.userId } : undefined,
  });
  if (decision.kind === 'error-page') return showError(400, 'Sign-out request not valid', decision.description);
  if (decision.kind === 'logout' || confirming) return finish(c, decision, session);

  // Ask first; carry the validated parameters through the confirmation.
  const hidden: Record<string, string> = {};
  if (decision.clientId) hidden.client_id = decision.clientId;
  if (decision.redirectUri) hidden.post_logout_redirect_uri = decision.redirectUri;
  if (decision.state !== undefined) hidden.state = decision.state;
  const user = await services.users.findById(session!.session.userId);
  const source = decision.redirectUri ? formActionSource(decision.redirectUri) : undefined;
  return sendPage(
    signOutPage({
      nonce: newNonce(),
      csrfToken: await csrfFor(c, 'sign-out', session!.id),
      action: '/oauth/logout',
      ...(user ? { userEmail: user.email } : {}),
      ...(record?.metadata.client_name ? { clientName: record.metadata.client_name } : {}),
      hidden,
      ...(source ? { formActions: [source] } : {}),
    }),
  );
}
