/** The login's MFA hook (login/handlers/sign-in.ts calls it after the password); see second-factor.ts. */
import { machineClient } from '../../../../../shared/state/store.js';
import type { UserRecord } from '../../accounts/domain/user-store.js';
import { type LoginTransaction, transactionKey } from '../../login/domain/login-transaction.js';
import { nowSeconds, seeOther } from '../../login/handlers/browser.js';
import type { AuthContext } from '../../services.js';
import { hasSecondFactor } from '../domain/mfa-store.js';
import { SECOND_FACTOR_SECONDS, secondFactorChallenges } from '../domain/mfa-state.js';

/**
 * The login's MFA hook, called right after the password was verified: undefined when the user has no second factor
 * (the sign-in goes on), else the redirect to the second-factor page.
 */
export async function requireSecondFactor(
  c: AuthContext,
  tx: LoginTransaction,
  user: UserRecord,
  amr: string[],
): Promise<Response | undefined> {
  const services = c.get('services');
  if (!hasSecondFactor(await services.mfa.store.factors(user.id))) return undefined;
  const txKey = await transactionKey(tx.id);
  await machineClient(services.state, secondFactorChallenges).begin(txKey, {
    txKey,
    userId: user.id,
    amr,
    expiresAt: nowSeconds() + SECOND_FACTOR_SECONDS,
  });
  return seeOther('/login/mfa');
}
