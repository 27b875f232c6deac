/**
 * `GET|POST /signup`: self-service account creation within a login transaction, when SIGN_UP_ENABLED (on under
 * `npm start`, off by default in production: the routes then answer 404). The account rules are
 * accounts/handlers/create-account.ts; a new account is signed in at once.
 */
import { notFound } from '../../../../../shared/errors.js';
import { createAccount } from '../../accounts/handlers/create-account.js';
import type { AuthContext } from '../../services.js';
import type { LoginTransaction } from '../domain/login-transaction.js';
import { signUpPage } from '../pages/sign-up.js';
import { addressOf, sendPage, takeLoginAttempt } from './browser.js';
import { loginEvent } from './events.js';
import { currentTransaction, noTransaction, transactionPage, transactionPost } from './flow.js';
import { signedIn } from './sign-in.js';

async function renderSignUp(
  c: AuthContext,
  tx: LoginTransaction,
  opts: { email?: string; name?: string; fieldErrors?: Record<string, string>; status?: number } = {},
): Promise<Response> {
  return sendPage(
    signUpPage({
      ...(await transactionPage(c, tx, 'sign-up', '/signup')),
      signInHref: '/login',
      ...(opts.email !== undefined ? { email: opts.email } : {}),
      ...(opts.name !== undefined ? { name: opts.name } : {}),
      ...(opts.fieldErrors ? { fieldErrors: opts.fieldErrors } : {}),
      ...(opts.status ? { status: opts.status } : {}),
    }),
  );
}

function enabled(c: AuthContext): void {
  if (!c.get('services').config.SIGN_UP_ENABLED) throw notFound();
}

export async function signUpForm(c: AuthContext): Promise<Response> {
  enabled(c);
  const tx = await currentTransaction(c);
  if (!tx) return noTransaction();
  return renderSignUp(c, tx);
}

export async function signUp(c: AuthContext): Promise<Response> {
  enabled(c);
  const post = await transactionPost(c, 'sign-up');
  if (post instanceof Response) return post;
  const { tx, fields } = post;
  const email = (fields.get('email') ?? '').slice(0, 1024);
  const name = (fields.get('name') ?? '').slice(0, 1024);
  if (!(await takeLoginAttempt(c, addressOf(c)))) {
    return renderSignUp(c, tx, {
      email,
      name,
      fieldErrors: { email: 'Too many attempts from this network. Try again later.' },
      status: 429,
    });
  }
  const result = await createAccount(c.get('services').users, {
    email,
    password: fields.get('password') ?? '',
    ...(name.trim() !== '' ? { name } : {}),
  });
  if (!result.ok) return renderSignUp(c, tx, { email, name, fieldErrors: result.problems, status: 400 });
  const ip = addressOf(c);
  loginEvent(
    c,
    ip,
    'user.signed_up',
    'success',
    { userId: result.user.id, clientId: tx.request.clientId },
    { by: 'self' },
  );
  return signedIn(c, tx, result.user, ['pwd'], ip);
}
