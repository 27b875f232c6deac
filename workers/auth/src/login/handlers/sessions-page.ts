/**
 * `GET|POST /sessions`: "your sessions". The signed-in user sees the browsers signed in to the account and can
 * end any of them (the form posts the session's public handle, never its id). Ending the current one signs out.
 */
import { machineClient } from '../../../../../shared/state/store.js';
import type { AuthContext } from '../../services.js';
import { clearCookie } from '../domain/cookies.js';
import { sessions, userSessions } from '../domain/login-state.js';
import { type SessionRow, sessionsPage } from '../pages/sessions.js';
import { signedInPage, signedInPost, signedInUser, signInFirst } from './account-pages.js';
import { addressOf, sendPage, seeOther } from './browser.js';
import { loginEvent } from './events.js';
import { listUserSessions } from './sessions-store.js';

const MANAGES = 'your sessions';

export async function sessionsList(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const who = await signedInUser(c);
  if (!who) return signInFirst(MANAGES);
  const entries = await listUserSessions(services, who.user.id);
  const rows: SessionRow[] = [];
  for (const entry of entries) {
    const session = await machineClient(services.state, sessions).read(entry.key, services.login.sessionPolicy);
    if (!session) continue;
    rows.push({
      handle: entry.handle,
      ...(session.userAgent ? { userAgent: session.userAgent } : {}),
      createdAt: session.createdAt,
      lastSeenAt: session.lastSeenAt,
      current: entry.handle === who.current.handle,
    });
  }
  return sendPage(sessionsPage({ ...(await signedInPage(c, who, 'revoke-session', '/sessions')), sessions: rows }));
}

export async function revokeSession(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const post = await signedInPost(c, 'revoke-session', MANAGES);
  if (post instanceof Response) return post;
  const { current, fields } = post;
  const handle = fields.get('session') ?? '';
  const entry = await machineClient(services.state, userSessions).remove(current.session.userId, { handle });
  if (!entry) return seeOther('/sessions');
  await machineClient(services.state, sessions).end(entry.key);
  loginEvent(
    c,
    addressOf(c),
    'session.revoked',
    'success',
    { userId: current.session.userId },
    {
      session_id: entry.handle,
      reason: 'user',
    },
  );
  if (entry.handle === current.handle) return seeOther('/sessions', [clearCookie('session', services.login.cookies)]);
  return seeOther('/sessions');
}
