/**
 * `GET|POST /login/passkey`: signing in with a passkey alone (a discoverable credential, no email typed). The page
 * asks the browser for any passkey of this relying party, with a challenge kept for this login transaction (single
 * use); the credential names its user. A passkey that verified its user is two factors at once (possession and
 * the device's PIN or biometric): `amr` [hwk|swk, mfa], `acr` ACR_MFA. Throttled per user like the second step.
 */
import { generateAuthenticationOptions } from '@simplewebauthn/server';
import { machineClient } from '../../../../../shared/state/store.js';
import { addressOf, csrfFor, nowSeconds, sendPage } from '../../login/handlers/browser.js';
import { clientFormActions, currentTransaction, noTransaction } from '../../login/handlers/flow.js';
import { signedIn } from '../../login/handlers/sign-in.js';
import { alert } from '../../login/pages/form.js';
import { html } from '../../../../../shared/html.js';
import { layout, newNonce } from '../../login/pages/layout.js';
import type { AuthContext } from '../../services.js';
import { ACR_MFA } from '../domain/authentication-context.js';
import { WEBAUTHN_CHALLENGE_SECONDS, webauthnChallenges } from '../domain/mfa-state.js';
import { relyingPartyOf } from '../domain/relying-party.js';
import { SECOND_FACTOR_THROTTLED } from '../domain/throttle.js';
import { ceremonyScript, passkeyForm } from '../pages/passkey.js';
import { loginChallengeKey, verifyPasskeyLogin } from './passkeys.js';

async function render(c: AuthContext, txId: string, formActions: string[], error?: string, status?: number) {
  const services = c.get('services');
  const options = await generateAuthenticationOptions({
    rpID: relyingPartyOf(services.config).id,
    userVerification: 'required',
  });
  await machineClient(services.state, webauthnChallenges).put(await loginChallengeKey(txId, true), {
    challenge: options.challenge,
    userId: '',
    expiresAt: nowSeconds() + WEBAUTHN_CHALLENGE_SECONDS,
  });
  const nonce = newNonce();
  const body = html`<h1>Sign in with a passkey</h1>
${alert(error)}
<p>Your browser will offer the passkeys you saved for this site.</p>
${passkeyForm({
  ceremony: 'authenticate',
  action: '/login/passkey',
  csrfToken: await csrfFor(c, 'second-factor', txId),
  options,
  label: 'Sign in with a passkey',
})}
<p><a href="/login">Sign in with your email and password instead</a></p>`;
  return sendPage(
    layout({
      title: 'Sign in with a passkey',
      body,
      nonce,
      tail: ceremonyScript(nonce),
      script: true,
      formActions,
      status,
    }),
  );
}

export async function passwordlessForm(c: AuthContext): Promise<Response> {
  const tx = await currentTransaction(c);
  if (!tx) return noTransaction();
  return render(c, tx.id, clientFormActions(tx));
}

export async function passwordlessSignIn(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const tx = await currentTransaction(c);
  if (!tx) return noTransaction();
  const check = await verifyPasskeyLogin(c, tx.id);
  const failed = (message: string, status: number) => render(c, tx.id, clientFormActions(tx), message, status);
  if (!check.ok) {
    return check.reason === 'throttled'
      ? failed(SECOND_FACTOR_THROTTLED, 429)
      : failed('That passkey could not be verified. Try again, or sign in with your password.', 401);
  }
  const user = await services.users.findById(check.userId);
  if (user?.status !== 'active') return failed('That passkey could not be verified.', 401);
  const key = check.method === 'passkey-hardware' ? 'hwk' : 'swk';
  return signedIn(c, tx, user, [key, 'mfa'], addressOf(c), ACR_MFA);
}
