/**
 * The second step of a sign-in (`GET|POST /login/mfa`). After a right password, a user with a factor enrolled gets no
 * session yet: the hook below parks a second-factor challenge on the login transaction (keyed by its hash, bound to
 * its id) and sends the browser here. Only a valid code for that user, posted with the transaction's CSRF token,
 * completes the challenge (once) and starts the session, with `amr` [pwd, otp, mfa] and `acr` ACR_MFA. Skipping
 * this page leads nowhere: without a session the flow's next step is the sign-in page again. The hook that parks
 * the challenge is login-hook.ts.
 */
import { machineClient } from '../../../../../shared/state/store.js';
import { transactionKey, type LoginTransaction } from '../../login/domain/login-transaction.js';
import { addressOf, readGenuineForm, refusedForm, sendPage } from '../../login/handlers/browser.js';
import { currentTransaction, noTransaction, transactionPage } from '../../login/handlers/flow.js';
import { signedIn } from '../../login/handlers/sign-in.js';
import { newNonce } from '../../login/pages/layout.js';
import type { AuthContext } from '../../services.js';
import type { UserRecord } from '../../accounts/domain/user-store.js';
import { ACR_MFA, amrWithSecondFactor, type SecondFactorMethod } from '../domain/authentication-context.js';
import { secondFactorChallenges } from '../domain/mfa-state.js';
import { SECOND_FACTOR_FAILED, SECOND_FACTOR_THROTTLED } from '../domain/throttle.js';
import { backupCodeUsedPage, secondFactorPage } from '../pages/second-factor.js';
import { passkeyAuthenticationForm, verifyPasskeyLogin } from './passkeys.js';
import { verifySecondFactor } from './verify-code.js';

async function pendingChallenge(c: AuthContext) {
  const tx = await currentTransaction(c);
  if (!tx) return undefined;
  const challenge = await machineClient(c.get('services').state, secondFactorChallenges).get(
    await transactionKey(tx.id),
  );
  return challenge && challenge.txKey === (await transactionKey(tx.id)) ? { tx, challenge } : undefined;
}

async function render(
  c: AuthContext,
  tx: LoginTransaction,
  userId: string,
  error?: string,
  status?: number,
): Promise<Response> {
  const factors = await c.get('services').mfa.store.factors(userId);
  const passkey =
    factors.passkeys.length > 0 ? await passkeyAuthenticationForm(c, tx.id, userId, factors.passkeys) : undefined;
  return sendPage(
    secondFactorPage({
      ...(await transactionPage(c, tx, 'second-factor', '/login/mfa')),
      ...(passkey ? { passkey } : {}),
      ...(error ? { error } : {}),
      ...(status ? { status } : {}),
    }),
  );
}

export async function secondFactorForm(c: AuthContext): Promise<Response> {
  const pending = await pendingChallenge(c);
  if (!pending) return noTransaction();
  return render(c, pending.tx, pending.challenge.userId);
}

export async function secondFactor(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const pending = await pendingChallenge(c);
  if (!pending) return noTransaction();
  const { tx, challenge } = pending;
  const fields = await readGenuineForm(c, 'second-factor', tx.id);
  if (!fields) return refusedForm();

  const user = await services.users.findById(challenge.userId);
  if (user?.status !== 'active') return noTransaction();
  const factors = await services.mfa.store.factors(user.id);
  const check = await verifySecondFactor(
    c,
    user.id,
    factors,
    (fields.get('code') ?? '').slice(0, 64),
    tx.request.clientId,
  );
  if (!check.ok) {
    return render(
      c,
      tx,
      user.id,
      check.reason === 'throttled' ? SECOND_FACTOR_THROTTLED : SECOND_FACTOR_FAILED,
      check.reason === 'throttled' ? 429 : 401,
    );
  }
  const response = await complete(c, tx, user, check.method);
  if (check.backupCodesRemaining === undefined) return response;
  return backupCodeNotice(response, check.backupCodesRemaining);
}

/** `POST /login/mfa/passkey`: the second step with a passkey (handlers/passkeys.ts verifies it). */
export async function secondFactorPasskey(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const pending = await pendingChallenge(c);
  if (!pending) return noTransaction();
  const { tx, challenge } = pending;
  const user = await services.users.findById(challenge.userId);
  if (user?.status !== 'active') return noTransaction();
  const check = await verifyPasskeyLogin(c, tx.id, user.id);
  if (!check.ok) {
    const throttled = check.reason === 'throttled';
    return render(c, tx, user.id, throttled ? SECOND_FACTOR_THROTTLED : PASSKEY_FAILED, throttled ? 429 : 401);
  }
  return complete(c, tx, user, check.method);
}

const PASSKEY_FAILED = 'That passkey could not be verified. Try again, or use a code.';

/** The second factor was right: the challenge is taken (once) and the session starts with `amr`/`acr` saying so. */
async function complete(c: AuthContext, tx: LoginTransaction, user: UserRecord, method: SecondFactorMethod) {
  const services = c.get('services');
  // One challenge, one session: a second tab posting another valid code finds nothing to complete.
  const txKey = await transactionKey(tx.id);
  const done = await machineClient(services.state, secondFactorChallenges).complete(txKey, txKey);
  if (!done || done.userId !== user.id) return noTransaction();
  return signedIn(c, tx, user, amrWithSecondFactor(done.amr, method), addressOf(c), ACR_MFA);
}

/** After a backup code: a page that says how many are left, linking on to where the flow was going. */
function backupCodeNotice(next: Response, remaining: number): Response {
  const location = next.headers.get('location');
  if (next.status !== 303 || !location) return next;
  const page = backupCodeUsedPage({ nonce: newNonce(), remaining, continueHref: location });
  // The session and device cookies of `next` (Set-Cookie headers) stay; the redirect becomes the page's link.
  const headers = new Headers(next.headers);
  headers.delete('location');
  for (const [name, value] of Object.entries(page.headers)) headers.set(name, value);
  return new Response(page.body, { status: 200, headers });
}
