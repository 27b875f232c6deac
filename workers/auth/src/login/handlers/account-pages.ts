/**
 * What the signed-in user's own pages share ("your sessions", "apps you allowed", "your security"): the browser's
 * session and its user, a post checked against that session's CSRF token, and the page that asks to sign in first.
 */
import type { AuthContext } from '../../services.js';
import type { UserRecord } from '../../accounts/domain/user-store.js';
import type { CsrfForm } from '../domain/csrf.js';
import { newNonce } from '../pages/layout.js';
import { csrfFor, readGenuineForm, refusedForm, showError } from './browser.js';
import { type CurrentSession, currentSession } from './sessions-store.js';

export interface SignedIn {
  current: CurrentSession;
  user: UserRecord;
}

/** `what`: what the page manages ("your sessions"). */
export function signInFirst(what: string): Response {
  return showError(401, 'You are not signed in', `Sign in to an application first; then you can manage ${what} here.`);
}

/** The browser's session and its user; undefined when there is no session or the user is gone. */
export async function signedInUser(c: AuthContext): Promise<SignedIn | undefined> {
  const services = c.get('services');
  const current = await currentSession(services, c.req.header('cookie'));
  if (!current) return undefined;
  const user = await services.users.findById(current.session.userId);
  return user ? { current, user } : undefined;
}

/** What each of these pages carries: a fresh CSP nonce, the form's CSRF token bound to the session, where the form
 * posts, and whose account it is. */
export async function signedInPage(c: AuthContext, who: SignedIn, form: CsrfForm, action: string) {
  return { nonce: newNonce(), csrfToken: await csrfFor(c, form, who.current.id), action, userEmail: who.user.email };
}

/** A post from one of these pages: the session and the form's fields, or the page to answer instead. */
export async function signedInPost(c: AuthContext, form: CsrfForm, what: string) {
  const current = await currentSession(c.get('services'), c.req.header('cookie'));
  if (!current) return signInFirst(what);
  const fields = await readGenuineForm(c, form, current.id);
  return fields ? { current, fields } : refusedForm();
}
