/**
 * `POST /password-reset` (form: `token`, `password`): redeems an operator's one-time reset
 * (`POST /admin/users/:id/password-reset`). The token is single-use (keyed state, one winner) and expires; the new
 * password follows the sign-up rules. 256-bit tokens need no throttle: there is nothing to guess.
 */
import { readFormBody } from '../../../../../shared/body.js';
import { clientAddress } from '../../../../../shared/client-address.js';
import { hashSecret } from '../../../../../shared/crypto.js';
import { ProblemError, validationFailed } from '../../../../../shared/errors.js';
import { machineClient } from '../../../../../shared/state/store.js';
import { emit } from '../../oauth/handlers/common.js';
import type { AuthContext } from '../../services.js';
import { hashPassword } from '../domain/password-hash.js';
import { checkNewPassword } from '../domain/password-rules.js';
import { passwordResets } from '../domain/password-reset.js';

const invalidReset = () =>
  new ProblemError('ERR_VALIDATION', 400, 'Invalid Reset', 'the reset token is unknown, used or expired');

export async function redeemPasswordReset(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const form = await readFormBody(c.req.raw, services.config.MAX_BODY_BYTES);
  const token = form.get('token')?.[0] ?? '';
  const password = form.get('password')?.[0] ?? '';
  if (token.length < 32 || token.length > 128) throw invalidReset();
  const key = await hashSecret(token);
  // Check the password first, so a refused one does not burn the token.
  const problems = checkNewPassword(password, { words: ['edge security', 'edgesecurity'] });
  if (problems.length > 0) {
    throw validationFailed('the new password is not valid', { errors: problems.map((p) => p.message) });
  }
  const userId = await machineClient(services.state, passwordResets).redeem(key, undefined);
  if (!userId) throw invalidReset();
  const changed = await services.users.setPasswordHash(userId, await hashPassword(password));
  if (!changed) throw invalidReset();
  emit(c, clientAddress(c.req.raw, services.config.TRUST_PROXY_HEADERS), 'user.password_reset', 'success', undefined, {
    user_id: userId,
  });
  return c.json({ user_id: userId, password_reset: true });
}
