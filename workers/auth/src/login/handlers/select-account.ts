/**
 * `GET|POST /login/select`: prompt=select_account (OpenID Connect Core §3.1.2.1). The signed-in user continues as
 * themselves or signs in with another account. Choosing to continue drops select_account from the parked request,
 * so the flow goes on without asking again.
 */
import type { AuthContext } from '../../services.js';
import { newNonce } from '../pages/layout.js';
import { selectAccountPage } from '../pages/select-account.js';
import { csrfFor, formIsGenuine, readPageForm, refusedForm, sendPage, seeOther } from './browser.js';
import {
  clientFormActions,
  currentTransaction,
  noTransaction,
  parkTransaction,
  proceed,
  transactionClient,
} from './flow.js';
import { currentSession } from './sessions-store.js';

export async function selectAccountForm(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const tx = await currentTransaction(c);
  if (!tx) return noTransaction();
  const session = await currentSession(services, c.req.header('cookie'));
  const user = session ? await services.users.findById(session.session.userId) : null;
  if (!user) return seeOther('/login');
  const client = await transactionClient(c, tx);
  return sendPage(
    selectAccountPage({
      nonce: newNonce(),
      csrfToken: await csrfFor(c, 'select-account', tx.id),
      action: '/login/select',
      userEmail: user.email,
      ...(client?.metadata.client_name ? { clientName: client.metadata.client_name } : {}),
      formActions: clientFormActions(tx),
    }),
  );
}

export async function selectAccount(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const tx = await currentTransaction(c);
  if (!tx) return noTransaction();
  const fields = await readPageForm(c);
  if (!(await formIsGenuine(c, fields, 'select-account', tx.id))) return refusedForm();
  if (fields.get('account') !== 'current') return seeOther('/login');
  const chosen = { ...tx, request: { ...tx.request, prompt: tx.request.prompt.filter((p) => p !== 'select_account') } };
  await parkTransaction(services, chosen);
  return proceed(c, chosen);
}
