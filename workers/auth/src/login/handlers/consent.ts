/**
 * `GET|POST /consent`: asks the signed-in user to allow a third-party client the requested scopes. "Allow" is
 * remembered per user, client and scope set (until revoked) and ends in a code; "Deny" ends the request with
 * `access_denied` at the client.
 */
import { machineClient } from '../../../../../shared/state/store.js';
import type { AuthContext } from '../../services.js';
import { consents } from '../domain/login-state.js';
import { consentPage } from '../pages/consent.js';
import { addressOf, sendPage, seeOther } from './browser.js';
import { loginEvent } from './events.js';
import {
  failTransaction,
  issueCode,
  transactionClient,
  transactionPage,
  transactionPost,
  transactionSession,
} from './flow.js';
import { currentSession } from './sessions-store.js';

export async function consentForm(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const started = await transactionSession(c);
  if (started instanceof Response) return started;
  const { tx, session } = started;
  const client = await transactionClient(c, tx);
  if (!client) return failTransaction(c, tx, 'unauthorized_client', 'the client no longer exists');
  const user = await services.users.findById(session.session.userId);
  if (!user) return seeOther('/login');
  const meta = client.metadata;
  return sendPage(
    consentPage({
      ...(await transactionPage(c, tx, 'consent', '/consent')),
      clientName: meta.client_name ?? client.clientId,
      ...(meta.client_uri ? { clientUri: meta.client_uri } : {}),
      ...(meta.policy_uri ? { policyUri: meta.policy_uri } : {}),
      ...(meta.tos_uri ? { tosUri: meta.tos_uri } : {}),
      userEmail: user.email,
      scopes: tx.request.scopes,
    }),
  );
}

export async function consentDecision(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const post = await transactionPost(c, 'consent');
  if (post instanceof Response) return post;
  const { tx, fields } = post;
  const session = await currentSession(services, c.req.header('cookie'));
  if (!session) return seeOther('/login');
  const ip = addressOf(c);
  const who = { userId: session.session.userId, clientId: tx.request.clientId };
  if (fields.get('decision') !== 'allow') {
    loginEvent(c, ip, 'consent.denied', 'denied', who, { scope: tx.request.scopes.join(' ') });
    return failTransaction(c, tx, 'access_denied', 'the user denied the request');
  }
  await machineClient(services.state, consents).grant(who.userId, {
    clientId: who.clientId,
    scopes: tx.request.scopes,
  });
  loginEvent(c, ip, 'consent.granted', 'success', who, { scope: tx.request.scopes.join(' ') });
  return issueCode(c, tx, session);
}
