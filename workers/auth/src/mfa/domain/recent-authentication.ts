/**
 * Changing the factors of an account that has one (removing the authenticator app, replacing it, regenerating
 * backup codes) needs a session that itself passed a second factor recently: a stolen password-only session, or
 * an old one, cannot strip or take over the account's second factor.
 */
export const RECENT_MFA_SECONDS = 15 * 60;

export function recentlyVerified(session: { amr: readonly string[]; authTime: number }, now: number): boolean {
  return session.amr.includes('mfa') && now - session.authTime <= RECENT_MFA_SECONDS;
}
