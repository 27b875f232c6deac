/**
 * Passkeys (WebAuthn, @simplewebauthn/server): registration from "your security" and their use as the login's
 * second factor. Each ceremony's challenge is kept in the single-use challenge store (mfa-state.ts
 * `webauthnChallenges`), keyed by the session (registration) or the login transaction (authentication) that asked
 * for it, and taken before the response is verified. The relying party's id and origins come from configuration.
 * A signature counter that does not move forward (a cloned authenticator) is refused and reported.
 *
 * - `POST /account/security/passkeys`           registration options, and the page that runs the ceremony
 * - `POST /account/security/passkeys/confirm`   the authenticator's response: verified, then stored
 * - `POST /account/security/passkeys/remove`    removes one (needs a recent second factor)
 * - `POST /login/mfa/passkey`                   the second step of a login with a passkey
 */
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { base64url, base64urlDecode } from '../../../../../shared/crypto.js';
import { machineClient } from '../../../../../shared/state/store.js';
import { transactionKey } from '../../login/domain/login-transaction.js';
import { sessionKey } from '../../login/domain/session.js';
import { addressOf, csrfFor, formIsGenuine, nowSeconds, readPageForm, sendPage } from '../../login/handlers/browser.js';
import { loginEvent } from '../../login/handlers/events.js';
import { html } from '../../../../../shared/html.js';
import { layout, newNonce } from '../../login/pages/layout.js';
import type { AuthContext } from '../../services.js';
import type { Passkey } from '../domain/mfa-store.js';
import { WEBAUTHN_CHALLENGE_SECONDS, webauthnChallenges } from '../domain/mfa-state.js';
import { passkeyMethod, relyingPartyOf } from '../domain/relying-party.js';
import { ceremonyScript, passkeyForm } from '../pages/passkey.js';
import {
  dropOrphanBackupCodes,
  enrolmentPost,
  removalPost,
  renderSecurity,
  securityPost,
  showNewBackupCodes,
} from './security.js';
import { takeAttempt } from './verify-code.js';

/** A credential response is a few KiB at most; the form reader already bounds the body. */
function parseCredential<T>(text: string | undefined): T | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}

export async function startPasskeyRegistration(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const who = await enrolmentPost(c);
  if (who instanceof Response) return who;
  const rp = relyingPartyOf(services.config);
  const options = await generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: who.user.email,
    userID: new Uint8Array(new TextEncoder().encode(who.user.id)),
    attestationType: 'none',
    excludeCredentials: who.factors.passkeys.map((p) => ({ id: p.id, transports: p.transports })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
  });
  await machineClient(services.state, webauthnChallenges).put(`register:${await sessionKey(who.current.id)}`, {
    challenge: options.challenge,
    userId: who.user.id,
    expiresAt: nowSeconds() + WEBAUTHN_CHALLENGE_SECONDS,
  });
  const nonce = newNonce();
  const body = html`<h1>Add a passkey</h1>
<p>Your browser will ask you to create a passkey with this device or a security key.</p>
${passkeyForm({
  ceremony: 'register',
  action: '/account/security/passkeys/confirm',
  csrfToken: await csrfFor(c, 'security', who.current.id),
  options,
  label: 'Create passkey',
  withName: true,
})}`;
  return sendPage(layout({ title: 'Add a passkey', body, nonce, tail: ceremonyScript(nonce), script: true }));
}

export async function confirmPasskeyRegistration(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const who = await securityPost(c);
  if (who instanceof Response) return who;
  const { fields } = who;
  const challenge = await machineClient(services.state, webauthnChallenges).take(
    `register:${await sessionKey(who.current.id)}`,
  );
  const failed = (reason: string) => {
    loginEvent(
      c,
      addressOf(c),
      'mfa.challenge_failed',
      'failure',
      { userId: who.user.id },
      { method: 'webauthn', reason, ceremony: 'registration' },
    );
    return renderSecurity(c, who.current, who.user.email, {
      error: 'The passkey could not be added. Try again.',
      status: 400,
    });
  };
  if (!challenge || challenge.userId !== who.user.id) return failed('no_challenge');
  const response = parseCredential<RegistrationResponseJSON>(fields.get('credential'));
  if (!response) return failed('malformed');
  const rp = relyingPartyOf(services.config);
  let verification: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    verification = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge.challenge,
      expectedOrigin: rp.origins,
      expectedRPID: rp.id,
      requireUserVerification: false,
    });
  } catch {
    return failed('invalid');
  }
  if (!verification.verified) return failed('invalid');
  const info = verification.registrationInfo;
  const name = (fields.get('name') ?? '').trim().slice(0, 64) || 'Passkey';
  const added = await services.mfa.store.addPasskey({
    id: info.credential.id,
    userId: who.user.id,
    publicKey: base64url(info.credential.publicKey),
    counter: info.credential.counter,
    transports: (info.credential.transports ?? []).map(String),
    deviceType: info.credentialDeviceType,
    name,
  });
  if (!added) return failed('duplicate');
  loginEvent(
    c,
    addressOf(c),
    'mfa.enrolled',
    'success',
    { userId: who.user.id },
    { method: 'webauthn', device_type: info.credentialDeviceType },
  );
  const factors = await services.mfa.store.factors(who.user.id);
  if (factors.backupCodesRemaining > 0) {
    return renderSecurity(c, who.current, who.user.email, { notice: `Passkey “${name}” added.` });
  }
  return showNewBackupCodes(c, who.user.id, `Passkey “${name}” added. Here are your backup codes.`);
}

export async function removePasskey(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const who = await removalPost(c);
  if (who instanceof Response) return who;
  // Only the user's own: the id of someone else's passkey matches no row of theirs.
  const removed = await services.mfa.store.removePasskey(who.user.id, (who.fields.get('id') ?? '').slice(0, 512));
  if (removed) {
    await dropOrphanBackupCodes(c, who.user.id);
    loginEvent(c, addressOf(c), 'mfa.removed', 'success', { userId: who.user.id }, { method: 'webauthn' });
  }
  return renderSecurity(c, who.current, who.user.email, removed ? { notice: 'The passkey was removed.' } : {});
}

/** The passkey part of the second-factor page: new authentication options, their challenge kept for this login. */
export async function passkeyAuthenticationForm(
  c: AuthContext,
  txId: string,
  userId: string,
  passkeys: readonly Passkey[],
) {
  const services = c.get('services');
  const rp = relyingPartyOf(services.config);
  const options = await generateAuthenticationOptions({
    rpID: rp.id,
    allowCredentials: passkeys.map((p) => ({ id: p.id, transports: p.transports as never })),
    userVerification: 'preferred',
  });
  await machineClient(services.state, webauthnChallenges).put(await loginChallengeKey(txId, false), {
    challenge: options.challenge,
    userId,
    expiresAt: nowSeconds() + WEBAUTHN_CHALLENGE_SECONDS,
  });
  return passkeyForm({
    ceremony: 'authenticate',
    action: '/login/mfa/passkey',
    csrfToken: await csrfFor(c, 'second-factor', txId),
    options,
    label: 'Use a passkey',
  });
}

export type PasskeyCheck =
  | { ok: true; method: 'passkey-hardware' | 'passkey-synced'; userId: string; userVerified: boolean }
  | { ok: false; reason: 'throttled' | 'invalid' | 'counter_regression' };

/** Where a login's passkey challenge is kept: per transaction, apart for the second step and passwordless. */
export async function loginChallengeKey(txId: string, passwordless: boolean): Promise<string> {
  return `${passwordless ? 'passwordless' : 'authenticate'}:${await transactionKey(txId)}`;
}

/**
 * Verifies a login's passkey response against the transaction's single-use challenge: as the second factor of
 * `userId`, or (no `userId`) as a passwordless first factor, where the discoverable credential names its user
 * (its user handle must be the one registered with it).
 */
export async function verifyPasskeyLogin(c: AuthContext, txId: string, userId?: string): Promise<PasskeyCheck> {
  const services = c.get('services');
  const ip = addressOf(c);
  const fields = await readPageForm(c);
  const fail = (
    reason: 'throttled' | 'invalid' | 'counter_regression',
    who: string | undefined,
    extra: Record<string, unknown> = {},
  ): PasskeyCheck => {
    loginEvent(c, ip, 'mfa.challenge_failed', reason === 'invalid' ? 'failure' : 'denied', who ? { userId: who } : {}, {
      method: 'webauthn',
      reason,
      passwordless: userId === undefined,
      ...extra,
    });
    return { ok: false, reason };
  };
  if (!(await formIsGenuine(c, fields, 'second-factor', txId))) return fail('invalid', userId, { csrf: false });
  const challenge = await machineClient(services.state, webauthnChallenges).take(
    await loginChallengeKey(txId, userId === undefined),
  );
  if (!challenge || (userId !== undefined && challenge.userId !== userId)) return fail('invalid', userId);
  const response = parseCredential<AuthenticationResponseJSON>(fields.get('credential'));
  if (!response || typeof response.id !== 'string' || typeof response.response !== 'object') {
    return fail('invalid', userId);
  }
  const passkey = await services.mfa.store.findPasskey(response.id.slice(0, 1024));
  if (!passkey || (userId !== undefined && passkey.userId !== userId)) return fail('invalid', userId);
  if (userId === undefined) {
    const handle = response.response.userHandle;
    if (typeof handle !== 'string' || new TextDecoder().decode(base64urlDecode(handle)) !== passkey.userId) {
      return fail('invalid', passkey.userId, { reason_detail: 'user_handle' });
    }
  }
  if (!(await takeAttempt(c, passkey.userId))) return fail('throttled', passkey.userId);
  const rp = relyingPartyOf(services.config);
  let info: Awaited<ReturnType<typeof verifyAuthenticationResponse>>['authenticationInfo'];
  try {
    const verification = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge.challenge,
      expectedOrigin: rp.origins,
      expectedRPID: rp.id,
      credential: {
        id: passkey.id,
        publicKey: new Uint8Array(base64urlDecode(passkey.publicKey)),
        counter: passkey.counter,
        transports: passkey.transports as never,
      },
      // Passwordless, the passkey is the whole sign-in: the authenticator must have verified the user.
      requireUserVerification: userId === undefined,
    });
    if (!verification.verified) return fail('invalid', passkey.userId);
    info = verification.authenticationInfo;
  } catch (err) {
    // The library refuses a counter that did not move forward: a possible clone of the authenticator.
    if (/counter/i.test((err as Error).message)) {
      return fail('counter_regression', passkey.userId, {
        credential_name: passkey.name,
        stored_counter: passkey.counter,
      });
    }
    return fail('invalid', passkey.userId);
  }
  if (!(await services.mfa.store.recordPasskeyUse(passkey.id, passkey.counter, info.newCounter))) {
    return fail('counter_regression', passkey.userId, { credential_name: passkey.name, concurrent: true });
  }
  loginEvent(
    c,
    ip,
    'mfa.challenge_succeeded',
    'success',
    { userId: passkey.userId },
    {
      method: 'webauthn',
      device_type: passkey.deviceType,
      passwordless: userId === undefined,
    },
  );
  return {
    ok: true,
    method: passkeyMethod(passkey.deviceType),
    userId: passkey.userId,
    userVerified: info.userVerified,
  };
}
