/**
 * "Your security" (`/account/security`): the signed-in user's second factors. Every route needs the browser's own
 * active session (the original platform's MFA routes answered anyone); posts carry a CSRF token bound to that
 * session. An enrolment belongs to the session that started it and completes only with a valid code.
 *
 * - `GET  /account/security`                   the factors, and the forms below
 * - `POST /account/security/totp`              starts a TOTP enrolment: QR code (SVG) and the secret as text
 * - `POST /account/security/totp/confirm`      a valid code completes it (first backup codes shown once)
 * - `POST /account/security/totp/remove`       removes it (and the backup codes) — needs a recent second factor
 * - `POST /account/security/backup-codes`      a new set, the old one void — needs a recent second factor
 */
import { renderSVG } from 'uqr';
import { machineClient } from '../../../../../shared/state/store.js';
import * as accountPages from '../../login/handlers/account-pages.js';
import {
  addressOf,
  csrfFor,
  nowSeconds,
  readGenuineForm,
  refusedForm,
  sendPage,
} from '../../login/handlers/browser.js';
import { loginEvent } from '../../login/handlers/events.js';
import type { CurrentSession } from '../../login/handlers/sessions-store.js';
import { sessionKey } from '../../login/domain/session.js';
import { newNonce } from '../../login/pages/layout.js';
import type { AuthContext } from '../../services.js';
import { hashBackupCode, newBackupCodes } from '../domain/backup-codes.js';
import { hasSecondFactor } from '../domain/mfa-store.js';
import { TOTP_ENROLMENT_SECONDS, totpEnrolments } from '../domain/mfa-state.js';
import { recentlyVerified } from '../domain/recent-authentication.js';
import { openTotpSecret, sealTotpSecret } from '../domain/secret-box.js';
import { SECOND_FACTOR_FAILED, SECOND_FACTOR_THROTTLED } from '../domain/throttle.js';
import { base32Encode, newTotpSecret, otpauthUri, parseTotpCode } from '../domain/totp.js';
import { backupCodesPage, securityPage, totpEnrolmentPage } from '../pages/security.js';
import { checkTotp, takeAttempt } from './verify-code.js';

export function signInFirst(): Response {
  return accountPages.signInFirst('your security');
}

export const NEEDS_RECENT_MFA =
  'For your protection, sign in again with your authenticator app or a backup code before changing this.';

/** The browser's session and its user, when the user is active. */
export async function signedInUser(c: AuthContext) {
  const who = await accountPages.signedInUser(c);
  return who?.user.status === 'active' ? who : undefined;
}

export async function renderSecurity(
  c: AuthContext,
  current: CurrentSession,
  email: string,
  opts: { notice?: string; error?: string; status?: number } = {},
): Promise<Response> {
  const factors = await c.get('services').mfa.store.factors(current.session.userId);
  return sendPage(
    securityPage({
      nonce: newNonce(),
      csrfToken: await csrfFor(c, 'security', current.id),
      userEmail: email,
      totpEnrolled: factors.totp !== undefined,
      passkeys: factors.passkeys.map((p) => ({ id: p.id, name: p.name, createdAt: p.createdAt })),
      backupCodesRemaining: factors.backupCodesRemaining,
      ...opts,
    }),
  );
}

/** The form's fields when the post is genuine (our origin, the session's CSRF token); undefined otherwise. */
export function genuineForm(c: AuthContext, current: CurrentSession) {
  return readGenuineForm(c, 'security', current.id);
}

/** A post from "your security": the signed-in user and the form's fields, or the page to answer instead. */
export async function securityPost(c: AuthContext) {
  const who = await signedInUser(c);
  if (!who) return signInFirst();
  const fields = await genuineForm(c, who.current);
  return fields ? { ...who, fields } : refusedForm();
}

/** The "confirm it is you" page unless the session presented a second factor recently; undefined when it did. */
function unlessRecentlyVerified(c: AuthContext, who: accountPages.SignedIn): Promise<Response> | undefined {
  if (recentlyVerified(who.current.session, nowSeconds())) return undefined;
  return renderSecurity(c, who.current, who.user.email, { error: NEEDS_RECENT_MFA, status: 403 });
}

/** A post that removes a factor: it needs a recent second factor. */
export async function removalPost(c: AuthContext) {
  const who = await securityPost(c);
  if (who instanceof Response) return who;
  return unlessRecentlyVerified(c, who) ?? who;
}

/** A post that adds a factor (and the user's factors): with one enrolled already, that needs a recent one too. */
export async function enrolmentPost(c: AuthContext) {
  const who = await securityPost(c);
  if (who instanceof Response) return who;
  const factors = await c.get('services').mfa.store.factors(who.user.id);
  return (hasSecondFactor(factors) && unlessRecentlyVerified(c, who)) || { ...who, factors };
}

export async function securityOverview(c: AuthContext): Promise<Response> {
  const who = await signedInUser(c);
  if (!who) return signInFirst();
  return renderSecurity(c, who.current, who.user.email);
}

async function renderEnrolment(
  c: AuthContext,
  current: CurrentSession,
  email: string,
  secret: Uint8Array,
  error?: string,
) {
  const services = c.get('services');
  const uri = otpauthUri({ issuer: services.config.MFA_TOTP_ISSUER, account: email, secret });
  return sendPage(
    totpEnrolmentPage({
      nonce: newNonce(),
      csrfToken: await csrfFor(c, 'security', current.id),
      qrSvg: renderSVG(uri, { ecc: 'M' }),
      secret: base32Encode(secret),
      ...(error ? { error, status: 400 } : {}),
    }),
  );
}

export async function startTotpEnrolment(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const who = await enrolmentPost(c);
  if (who instanceof Response) return who;
  const secret = newTotpSecret();
  await machineClient(services.state, totpEnrolments).start(await sessionKey(who.current.id), {
    userId: who.user.id,
    secretCiphertext: await sealTotpSecret((await services.mfa.keys()).kek, who.user.id, secret),
    expiresAt: nowSeconds() + TOTP_ENROLMENT_SECONDS,
  });
  return renderEnrolment(c, who.current, who.user.email, secret);
}

export async function confirmTotpEnrolment(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const who = await securityPost(c);
  if (who instanceof Response) return who;
  const enrolments = machineClient(services.state, totpEnrolments);
  const key = await sessionKey(who.current.id);
  const pending = await enrolments.get(key);
  if (!pending || pending.userId !== who.user.id) {
    return renderSecurity(c, who.current, who.user.email, {
      error: 'This set-up has expired. Start again.',
      status: 400,
    });
  }
  const secret = await openTotpSecret((await services.mfa.keys()).kek, who.user.id, pending.secretCiphertext);
  if (!(await takeAttempt(c, who.user.id)))
    return renderEnrolment(c, who.current, who.user.email, secret, SECOND_FACTOR_THROTTLED);
  const code = parseTotpCode(who.fields.get('code') ?? '');
  const checked = code === undefined ? 'invalid' : await checkTotp(c, who.user.id, pending.secretCiphertext, code);
  if (checked !== 'ok') return renderEnrolment(c, who.current, who.user.email, secret, SECOND_FACTOR_FAILED);
  // Taken once: two tabs confirming the same enrolment store it once.
  if (!(await enrolments.finish(key))) return renderSecurity(c, who.current, who.user.email);
  await services.mfa.store.saveTotp(who.user.id, {
    secretCiphertext: pending.secretCiphertext,
    kekId: services.config.KEK_ID,
  });
  loginEvent(c, addressOf(c), 'mfa.enrolled', 'success', { userId: who.user.id }, { method: 'totp' });
  const factors = await services.mfa.store.factors(who.user.id);
  if (factors.backupCodesRemaining > 0) {
    return renderSecurity(c, who.current, who.user.email, { notice: 'Your authenticator app is set up.' });
  }
  return showNewBackupCodes(c, who.user.id, 'Your authenticator app is set up. Here are your backup codes.');
}

export async function showNewBackupCodes(c: AuthContext, userId: string, notice?: string): Promise<Response> {
  const services = c.get('services');
  const codes = newBackupCodes();
  const key = (await services.mfa.keys()).backupCodes;
  await services.mfa.store.replaceBackupCodes(
    userId,
    await Promise.all(codes.map((code) => hashBackupCode(key, userId, code))),
  );
  loginEvent(c, addressOf(c), 'mfa.enrolled', 'success', { userId }, { method: 'recovery_code', count: codes.length });
  return sendPage(backupCodesPage({ nonce: newNonce(), codes, ...(notice ? { notice } : {}) }));
}

export async function regenerateBackupCodes(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const who = await securityPost(c);
  if (who instanceof Response) return who;
  const factors = await services.mfa.store.factors(who.user.id);
  if (!factors.totp && factors.passkeys.length === 0) {
    return renderSecurity(c, who.current, who.user.email, { error: 'Set up an authenticator app first.', status: 400 });
  }
  return unlessRecentlyVerified(c, who) ?? showNewBackupCodes(c, who.user.id);
}

export async function removeTotp(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const who = await removalPost(c);
  if (who instanceof Response) return who;
  const removed = await services.mfa.store.removeTotp(who.user.id);
  await dropOrphanBackupCodes(c, who.user.id);
  if (removed) loginEvent(c, addressOf(c), 'mfa.removed', 'success', { userId: who.user.id }, { method: 'totp' });
  return renderSecurity(c, who.current, who.user.email, { notice: 'Your authenticator app was removed.' });
}

/** Backup codes stand in for the other factors; with none left they would be a second factor on their own. */
export async function dropOrphanBackupCodes(c: AuthContext, userId: string): Promise<void> {
  const store = c.get('services').mfa.store;
  const factors = await store.factors(userId);
  if (!factors.totp && factors.passkeys.length === 0 && factors.backupCodesRemaining > 0) {
    await store.replaceBackupCodes(userId, []);
  }
}
