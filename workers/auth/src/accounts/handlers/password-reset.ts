/**
 * The user's side of an operator's one-time password reset (`POST /admin/users/:id/password-reset`):
 * `GET /password-reset` is the hosted page, `POST /password-reset` (form: `token`, `password`) redeems it. The token
 * is single-use (keyed state, one winner) and expires; the new password follows the sign-up rules and is checked
 * before the token is spent. 256-bit tokens need no throttle: there is nothing to guess. The post must come from
 * the page itself (Origin / Sec-Fetch-Site), like every hosted form.
 */
import { readFormBody } from '../../../../../shared/body.js';
import { clientAddress } from '../../../../../shared/client-address.js';
import { hashSecret } from '../../../../../shared/crypto.js';
import { machineClient } from '../../../../../shared/state/store.js';
import { baseUrl } from '../../env.js';
import { refusedForm, sendPage } from '../../login/handlers/browser.js';
import { checkFormOrigin } from '../../login/domain/csrf.js';
import { newNonce } from '../../login/pages/layout.js';
import { passwordChangedPage, passwordResetPage } from '../../login/pages/password-reset.js';
import { emit } from '../../oauth/handlers/common.js';
import type { AuthContext } from '../../services.js';
import { hashPassword } from '../domain/password-hash.js';
import { passwordResets } from '../domain/password-reset.js';
import { checkNewPassword } from '../domain/password-rules.js';

const INVALID = 'This reset code is unknown, used or expired. Ask your administrator for a new one.';

export function passwordResetForm(_c: AuthContext): Response {
  return sendPage(passwordResetPage({ nonce: newNonce() }));
}

export async function redeemPasswordReset(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const origin = checkFormOrigin(
    { origin: c.req.header('origin') ?? null, secFetchSite: c.req.header('sec-fetch-site') ?? null },
    baseUrl(services.config),
  );
  if (origin !== 'ok') return refusedForm();
  const form = await readFormBody(c.req.raw, services.config.MAX_BODY_BYTES);
  const token = (form.get('token')?.[0] ?? '').trim();
  const password = form.get('password')?.[0] ?? '';
  const refused = (error: string | undefined, passwordError?: string) =>
    sendPage(passwordResetPage({ nonce: newNonce(), status: 400, error, passwordError }));
  if (token.length < 32 || token.length > 128) return refused(INVALID);
  // Check the password first, so a refused one does not spend the token.
  const problems = checkNewPassword(password, { words: ['edge security', 'edgesecurity'] });
  if (problems.length > 0) return refused(undefined, problems.map((p) => p.message).join(' '));
  const userId = await machineClient(services.state, passwordResets).redeem(await hashSecret(token), undefined);
  if (!userId || !(await services.users.setPasswordHash(userId, await hashPassword(password)))) return refused(INVALID);
  emit(c, clientAddress(c.req.raw, services.config.TRUST_PROXY_HEADERS), 'user.password_reset', 'success', undefined, {
    user_id: userId,
  });
  return sendPage(passwordChangedPage({ nonce: newNonce() }));
}
