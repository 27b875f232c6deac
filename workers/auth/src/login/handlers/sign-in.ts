/**
 * `GET|POST /login`: the sign-in page of a login transaction, and its form.
 *
 * A post is checked in this order: origin and CSRF token (bound to the transaction), then the throttle
 * (login/domain/throttle.ts: failure counters per account, per address and per account+address, or the browser's
 * own device budget), then the password (scrypt; an unknown or disabled account is verified against a dummy hash,
 * same work). Unknown account, wrong password and throttled attempt all get the same page, status and message.
 * Success starts a new session (a new id, the browser's old session ended) and sets a device cookie.
 */
import { machineClient } from '../../../../../shared/state/store.js';
import { normalizeEmail } from '../../accounts/domain/email.js';
import { needsRehash, hashPassword, verifyPassword } from '../../accounts/domain/password-hash.js';
import type { UserRecord } from '../../accounts/domain/user-store.js';
import type { AuthContext } from '../../services.js';
import { readCookie, setCookie } from '../domain/cookies.js';
import { issueDeviceCookie, readDeviceCookie } from '../domain/device-cookie.js';
import { loginFailures } from '../domain/login-state.js';
import type { LoginTransaction } from '../domain/login-transaction.js';
import {
  type CounterName,
  countersFor,
  DEFAULT_THROTTLE_POLICY,
  decideLoginAttempt,
  type FailureCounter,
  keysToClear,
  SIGN_IN_FAILED,
  throttleKeys,
} from '../domain/throttle.js';
import { signInPage } from '../pages/sign-in.js';
import { addressOf, nowSeconds, sendPage, takeLoginAttempt } from './browser.js';
import { loginEvent } from './events.js';
import {
  currentTransaction,
  noTransaction,
  proceed,
  transactionClient,
  transactionPage,
  transactionPost,
} from './flow.js';
import { beginSession, currentSession } from './sessions-store.js';
import { requireSecondFactor } from '../../mfa/handlers/login-hook.js';

/** A device cookie lasts a year; it only ever widens its own browser's budget for its own account. */
const DEVICE_COOKIE_SECONDS = 365 * 86_400;

async function renderSignIn(
  c: AuthContext,
  tx: LoginTransaction,
  opts: { email?: string; error?: string; status?: number } = {},
): Promise<Response> {
  const services = c.get('services');
  const client = await transactionClient(c, tx);
  return sendPage(
    signInPage({
      ...(await transactionPage(c, tx, 'sign-in', '/login')),
      ...(services.config.SIGN_UP_ENABLED ? { signUpHref: '/signup' } : {}),
      ...(client?.metadata.client_name ? { clientName: client.metadata.client_name } : {}),
      ...((opts.email ?? tx.request.loginHint) !== undefined ? { email: opts.email ?? tx.request.loginHint } : {}),
      ...(opts.error ? { error: opts.error } : {}),
      ...(opts.status ? { status: opts.status } : {}),
    }),
  );
}

export async function signInForm(c: AuthContext): Promise<Response> {
  const tx = await currentTransaction(c);
  if (!tx) return noTransaction();
  return renderSignIn(c, tx);
}

export async function signIn(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const post = await transactionPost(c, 'sign-in');
  if (post instanceof Response) return post;
  const { tx, fields } = post;

  const ip = addressOf(c);
  const typed = (fields.get('email') ?? '').slice(0, 1024);
  const password = fields.get('password') ?? '';
  if (!(await takeLoginAttempt(c, ip))) {
    loginEvent(c, ip, 'user.login_throttled', 'denied', {}, { limited_by: 'address_rate' });
    return renderSignIn(c, tx, { email: typed, error: SIGN_IN_FAILED, status: 401 });
  }
  const email = normalizeEmail(typed);
  // Counters are keyed by what was typed when it is not an address, so every attempt is counted.
  const accountKey = email.ok ? email.email.key : `invalid:${typed.trim().toLowerCase()}`;
  const keys = await loginKeysFor(c, accountKey, ip);
  const failures = machineClient(services.state, loginFailures);
  const counters: Partial<Record<CounterName, FailureCounter>> = {};
  await Promise.all(
    countersFor(keys).map(async (name) => {
      const counter = await failures.get(keys[name]!);
      if (counter) counters[name] = counter;
    }),
  );
  const now = nowSeconds();
  const throttle = decideLoginAttempt(keys, counters, now);

  const user = email.ok && throttle.allowed ? await services.users.findByEmailKey(email.email.key) : null;
  const usable = user?.status === 'active' && user.passwordHash ? user : undefined;
  // The same scrypt work for an unknown or disabled account as for a real one. A throttled attempt does none: its
  // answer is the same page whatever the password, and it must not cost the server a hash.
  const ok = throttle.allowed && (await verifyPassword(password, usable?.passwordHash)) && usable !== undefined;

  if (!ok || !usable) {
    if (!throttle.allowed) {
      loginEvent(
        c,
        ip,
        'user.login_throttled',
        'denied',
        {},
        {
          limited_by: throttle.limitedBy,
          retry_after_seconds: throttle.retryAfterSeconds,
        },
      );
    } else {
      await Promise.all(
        countersFor(keys).map((name) => failures.fail(keys[name]!, DEFAULT_THROTTLE_POLICY[name].windowSeconds)),
      );
      loginEvent(c, ip, 'user.login_failed', 'failure', user ? { userId: user.id } : {}, {
        reason: !user ? 'unknown_user' : user.status !== 'active' ? 'disabled' : 'wrong_password',
        client: tx.request.clientId,
      });
    }
    return renderSignIn(c, tx, { email: typed, error: SIGN_IN_FAILED, status: 401 });
  }

  await Promise.all(keysToClear(keys).map((key) => failures.clear(key)));
  await services.users.recordSignIn(
    usable.id,
    needsRehash(usable.passwordHash!) ? await hashPassword(password) : undefined,
  );
  // --- MFA hook (mfa/handlers/login-hook.ts): with a second factor enrolled, no session until it is presented. ---
  const secondFactor = await requireSecondFactor(c, tx, usable, ['pwd']);
  if (secondFactor) return secondFactor;
  // --- end of MFA hook ---
  return signedIn(c, tx, usable, ['pwd'], ip);
}

/** Throttle keys for this attempt: with the browser's device id when its device cookie is genuine for the account. */
async function loginKeysFor(c: AuthContext, accountKey: string, ip: string) {
  const services = c.get('services');
  const deviceId = await readDeviceCookie(
    (await services.login.keys()).device,
    accountKey,
    readCookie(c.req.header('cookie'), 'device', services.login.cookies),
  );
  return throttleKeys({ accountKey, ip, ...(deviceId ? { deviceId } : {}) });
}

/** After a successful authentication (sign-in or sign-up): a new session, a device cookie, then on with the flow. */
export async function signedIn(
  c: AuthContext,
  tx: LoginTransaction,
  user: UserRecord,
  amr: string[],
  ip: string,
  acr?: string,
): Promise<Response> {
  const services = c.get('services');
  const previous = await currentSession(services, c.req.header('cookie'));
  const ua = c.req.header('user-agent');
  const started = await beginSession(services, {
    userId: user.id,
    amr,
    ...(acr ? { acr } : {}),
    ...(ua ? { userAgent: ua } : {}),
    ...(previous ? { previous } : {}),
  });
  const device = setCookie(
    'device',
    await issueDeviceCookie((await services.login.keys()).device, user.emailKey),
    services.login.cookies,
    {
      maxAge: DEVICE_COOKIE_SECONDS,
    },
  );
  loginEvent(c, ip, 'user.login_succeeded', 'success', { userId: user.id, clientId: tx.request.clientId }, { amr });
  loginEvent(c, ip, 'session.created', 'success', { userId: user.id }, { session_id: started.handle, amr });
  if (previous) {
    loginEvent(
      c,
      ip,
      'session.revoked',
      'success',
      { userId: previous.session.userId },
      {
        session_id: previous.handle,
        reason: 'replaced_at_sign_in',
      },
    );
  }
  return proceed(c, tx, started, [started.cookie, device], true);
}
