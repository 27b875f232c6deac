/**
 * `GET|POST /apps`: the signed-in user's remembered consents ("apps you allowed"), each revocable. A revoked
 * client asks for consent again at its next authorization request.
 */
import { machineClient } from '../../../../../shared/state/store.js';
import type { AuthContext } from '../../services.js';
import { consents } from '../domain/login-state.js';
import { type AllowedApp, appsPage } from '../pages/apps.js';
import { signedInPage, signedInPost, signedInUser, signInFirst } from './account-pages.js';
import { addressOf, sendPage, seeOther } from './browser.js';
import { loginEvent } from './events.js';

/** The apps page manages "it" (the user's allowed applications). */
const MANAGES = 'it';

export async function appsList(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const who = await signedInUser(c);
  if (!who) return signInFirst(MANAGES);
  const granted = await machineClient(services.state, consents).list(who.user.id);
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
  return sendPage(appsPage({ ...(await signedInPage(c, who, 'revoke-consent', '/apps')), apps }));
}

export async function revokeApp(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const post = await signedInPost(c, 'revoke-consent', MANAGES);
  if (post instanceof Response) return post;
  const { current, fields } = post;
  const clientId = (fields.get('client_id') ?? '').slice(0, 256);
  if (await machineClient(services.state, consents).revoke(current.session.userId, clientId)) {
    loginEvent(c, addressOf(c), 'consent.revoked', 'success', { userId: current.session.userId, clientId });
  }
  return seeOther('/apps');
}
