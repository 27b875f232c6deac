/**
 * `GET|POST /sessions`: "your sessions". The signed-in user sees the browsers signed in to the account and can
 * end any of them (the form posts the session's public handle, never its id). Ending the current one signs out.
 */
import { machineClient } from '../../../../../shared/state/store.js';
import type { AuthContext } from '../../services.js';
import { clearCookie } from '../domain/cookies.js';
import { sessions, userSessions } from '../domain/login-state.js';
import { newNonce } from '../pages/layout.js';
import { type SessionRow, sessionsPage } from '../pages/sessions.js';
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
  return showError(
    401,
    'You are not signed in',
    'Sign in to an application first; then you can manage your sessions here.',
  );
}

export async function sessionsList(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const current = await currentSession(services, c.req.header('cookie'));
  if (!current) return signInFirst();
  const user = await services.users.findById(current.session.userId);
  if (!user) return signInFirst();
  const entries = await machineClient(services.state, userSessions).list(user.id);
  const rows: SessionRow[] = [];
  for (const entry of entries) {
    const session = await machineClient(services.state, sessions).read(entry.key, services.login.sessionPolicy);
    if (!session) continue;
    rows.push({
      handle: entry.handle,
      ...(session.userAgent ? { userAgent: session.userAgent } : {}),
      createdAt: session.createdAt,
      lastSeenAt: session.lastSeenAt,
      current: entry.handle === current.handle,
    });
  }
  return sendPage(
    sessionsPage({
      nonce: newNonce(),
      csrfToken: await csrfFor(c, 'revoke-session', current.id),
      action: '/sessions',
      userEmail: user.email,
      sessions: rows,
    }),
  );
}

export async function revokeSession(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const current = await currentSession(services, c.req.header('cookie'));
  if (!current) return signInFirst();
  const fields = await readPageForm(c);
  if (!(await formIsGenuine(c, fields, 'revoke-session', current.id))) return refusedForm();
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
