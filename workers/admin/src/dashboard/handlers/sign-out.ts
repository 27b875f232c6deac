/** Sign-out: revokes the session's operator API token and clears its cookie. */
import type { AdminContext } from '../../services.js';
import { type Dashboard, isSecure } from './page.js';
import { cookie, SESSION_COOKIE } from './session.js';

export function registerSignOut(d: Dashboard): void {
  const { app, sessionOf, change, signInPage } = d;

  app.post('/dashboard/logout', async (c: AdminContext) => {
    const s = await sessionOf(c);
    if (!s) return signInPage(c);
    const fields = await change(c, s);
    if (fields instanceof Response) return fields;
    const services = c.get('services');
    const revoked = await services.tokens.revoke(s.tokenId, 'dashboard sign-out');
    if (revoked) {
      services.events.emit(
        {
          type: 'admin.action',
          outcome: 'success',
          details: {
            actor: revoked.token.principalId,
            credential: revoked.token.rootCredential,
            action: 'dashboard_sign_out',
            token_id: s.tokenId,
          },
        },
        c.executionCtx,
      );
    }
    const res = signInPage(c, { notice: 'You are signed out.' });
    res.headers.append('set-cookie', cookie(SESSION_COOKIE, '', isSecure(c), 0));
    return res;
  });
}
