/**
 * `GET|POST /login/select`: prompt=select_account (OpenID Connect Core §3.1.2.1). The signed-in user continues as
 * themselves or signs in with another account. Choosing to continue drops select_account from the parked request,
 * so the flow goes on without asking again.
 */
import type { AuthContext } from '../../services.js';
import { selectAccountPage } from '../pages/select-account.js';
import { sendPage, seeOther } from './browser.js';
import {
  parkTransaction,
  proceed,
  transactionClient,
  transactionPage,
  transactionPost,
  transactionSession,
} from './flow.js';

export async function selectAccountForm(c: AuthContext): Promise<Response> {
  const started = await transactionSession(c);
  if (started instanceof Response) return started;
  const { tx, session } = started;
  const user = await c.get('services').users.findById(session.session.userId);
  if (!user) return seeOther('/login');
  const client = await transactionClient(c, tx);
  return sendPage(
    selectAccountPage({
      ...(await transactionPage(c, tx, 'select-account', '/login/select')),
      userEmail: user.email,
      ...(client?.metadata.client_name ? { clientName: client.metadata.client_name } : {}),
    }),
  );
}

export async function selectAccount(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const post = await transactionPost(c, 'select-account');
  if (post instanceof Response) return post;
  const { tx, fields } = post;
  if (fields.get('account') !== 'current') return seeOther('/login');
  const chosen = { ...tx, request: { ...tx.request, prompt: tx.request.prompt.filter((p) => p !== 'select_account') } };
  await parkTransaction(services, chosen);
  return proceed(c, chosen);
}
