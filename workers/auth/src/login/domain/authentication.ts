/**
 * Does this authorization request need the user to (re-)authenticate? (OpenID Connect Core §3.1.2.1, §3.1.2.3)
 *
 * - No active session: sign in.
 * - `prompt=login`, or `max_age` elapsed since `auth_time` (`max_age=0` always): sign in again, unless the user
 *   already did during this very request (the sign-in that the prompt asked for must not loop).
 * - `id_token_hint` for another user than the session's: sign in as that user.
 * - `prompt=select_account`: show the account choice ("continue as …" or "use another account").
 * - `prompt=none`: never show a page; whatever would need one becomes an error redirected to the client
 *   (`login_required`, `account_selection_required`).
 */
import type { Prompt } from '../../authorize/domain/parameters.js';
import type { Session } from './session.js';

export interface AuthenticationInput {
  /** The browser's active session (already checked for expiry), if any. */
  session: Session | undefined;
  prompt: readonly Prompt[];
  maxAge?: number;
  idTokenHint?: { sub: string };
  /** Seconds: when this authorization request arrived (the login transaction began). */
  requestStartedAt: number;
  now: number;
}

export type AuthenticationReason = 'no-session' | 'prompt-login' | 'max-age' | 'other-user';

export type AuthenticationDecision =
  | { action: 'continue'; session: Session }
  | { action: 'sign-in'; reason: AuthenticationReason }
  | { action: 'select-account'; session: Session }
  | { action: 'error'; error: 'login_required' | 'account_selection_required'; description: string };

export function decideAuthentication(input: AuthenticationInput): AuthenticationDecision {
  const { session, prompt } = input;
  const none = prompt.includes('none');
  const signIn = (reason: AuthenticationReason): AuthenticationDecision =>
    none ? { action: 'error', error: 'login_required', description: describe(reason) } : { action: 'sign-in', reason };

  if (!session) return signIn('no-session');
  if (input.idTokenHint && input.idTokenHint.sub !== session.userId) return signIn('other-user');
  const freshInThisRequest = session.authTime >= input.requestStartedAt;
  if (!freshInThisRequest) {
    if (prompt.includes('login')) return signIn('prompt-login');
    // "Greater than max_age" (§3.1.2.1); max_age=0 means "authenticate now", like prompt=login.
    if (input.maxAge !== undefined && (input.maxAge === 0 || input.now - session.authTime > input.maxAge)) {
      return signIn('max-age');
    }
    if (prompt.includes('select_account')) return { action: 'select-account', session };
  }
  return { action: 'continue', session };
}

function describe(reason: AuthenticationReason): string {
  switch (reason) {
    case 'no-session':
      return 'the user is not signed in';
    case 'other-user':
      return 'the signed-in user is not the one the id_token_hint names';
    case 'max-age':
      return 'the authentication is older than max_age';
    case 'prompt-login':
      return 'sign-in required';
  }
}
