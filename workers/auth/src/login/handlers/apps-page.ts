/**
 * `GET|POST /apps`: the signed-in user's remembered consents ("apps you allowed"), each revocable. A revoked
 * client asks for consent again at its next authorization request.
 */
import { machineClient } from '../../../../../shared/state/store.js';
import type { AuthContext } from '../../services.js';
import { consents } from '../domain/login-state.js';
import { type AllowedApp, appsPage } from '../pages/apps.js';
import { newNonce } from '../pages/layout.js';
import {
  addressOf,
  csrfFor,
  formIsGenuine,
  readPageForm,
  refusedForm,
  sendPage,
  seeOther,
  showError,
} from './browser.js';
import { loginEvent } from './events.js';
import { currentSession } from './sessions-store.js';

function signInFirst(): Response {
  return showError(401, 'You are not signed in', 'Sign in to an application first; then you can manage it here.');
}

export async function appsList(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const current = await currentSession(services, c.req.header('cookie'));
  if (!current) return signInFirst();
  const user = await services.users.findById(current.session.userId);
  if (!user) return signInFirst();
  const granted = await machineClient(services.state, consents).list(user.id);
  const apps: AllowedApp[] = [];
  for (const [clientId, grant] of Object.entries(granted)) {
    const client = await services.clients.get(clientId, c.executionCtx);
    apps.push({
      clientId,
      clientName: client?.status === 'active' ? (client.metadata.client_name ?? clientId) : `${clientId} (deleted)`,
      scopes: grant.scopes,
      grantedAt: grant.grantedAt,
    });
  }
  return sendPage(
    appsPage({
      nonce: newNonce(),
      csrfToken: await csrfFor(c, 'revoke-consent', current.id),
      action: '/apps',
      userEmail: user.email,
      apps,
    }),
  );
}

export async function revokeApp(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const current = await currentSession(services, c.req.header('cookie'));
  if (!current) return signInFirst();
  const fields = await readPageForm(c);
  if (!(await formIsGenuine(c, fields, 'revoke-consent', current.id))) return refusedForm();
  const clientId = (fields.get('client_id') ?? '').slice(0, 256);
  if (await machineClient(services.state, consents).revoke(current.session.userId, clientId)) {
    loginEvent(c, addressOf(c), 'consent.revoked', 'success', { userId: current.session.userId, clientId });
  }
  return seeOther('/apps');
}
