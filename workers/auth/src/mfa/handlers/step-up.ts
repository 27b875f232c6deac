/** The login flow's step-up hook (login/handlers/flow.ts calls it for a signed-in user): see domain/step-up.ts. */
import { machineClient } from '../../../../../shared/state/store.js';
import { type LoginTransaction, transactionKey } from '../../login/domain/login-transaction.js';
import { nowSeconds, seeOther } from '../../login/handlers/browser.js';
import type { CurrentSession } from '../../login/handlers/sessions-store.js';
import type { AuthContext } from '../../services.js';
import { hasSecondFactor } from '../domain/mfa-store.js';
import { SECOND_FACTOR_SECONDS, secondFactorChallenges } from '../domain/mfa-state.js';
import { decideStepUp } from '../domain/step-up.js';

/** Undefined when the session is enough; else the answer (the second-factor page, or an error for the client). */
export async function requireStepUp(
  c: AuthContext,
  tx: LoginTransaction,
  current: CurrentSession,
  cookies: string[],
): Promise<Response | { error: 'interaction_required'; description: string } | undefined> {
  const request = tx.request;
  // Only a request that asks for it pays the factors lookup.
  if (request.acrValues.length === 0 || current.session.amr.includes('mfa')) return undefined;
  const services = c.get('services');
  const decision = decideStepUp({
    acrValues: request.acrValues,
    prompt: request.prompt,
    sessionAmr: current.session.amr,
    userHasFactor: hasSecondFactor(await services.mfa.store.factors(current.session.userId)),
  });
  if (decision === 'continue') return undefined;
  if (decision === 'interaction-required') {
    return { error: 'interaction_required', description: 'a second factor is required (acr_values)' };
  }
  await machineClient(services.state, secondFactorChallenges).begin(await transactionKey(tx.id), {
    txId: tx.id,
    userId: current.session.userId,
    amr: current.session.amr,
    expiresAt: nowSeconds() + SECOND_FACTOR_SECONDS,
  });
  return seeOther('/login/mfa', cookies);
}
