/** The login flow's step-up hook (login/handlers/flow.ts calls it for a signed-in user): see domain/step-up.ts. */
import { identityOf } from '../../../../../shared/app.js';
import { PolicyUnavailableError } from '../../../../../shared/policy-client.js';
import { machineClient } from '../../../../../shared/state/store.js';
import { type LoginTransaction, transactionKey } from '../../login/domain/login-transaction.js';
import { nowSeconds, seeOther } from '../../login/handlers/browser.js';
import type { CurrentSession } from '../../login/handlers/sessions-store.js';
import type { AuthContext } from '../../services.js';
import { hasSecondFactor } from '../domain/mfa-store.js';
import { SECOND_FACTOR_SECONDS, secondFactorChallenges } from '../domain/mfa-state.js';
import { decideStepUp } from '../domain/step-up.js';

export interface StepUpError {
  error: 'interaction_required' | 'access_denied' | 'temporarily_unavailable';
  description: string;
}

/** Who signs in to what, with which authentication: the subject of the policy's `User_sign_in` decision. */
export interface SignInSubject {
  userId: string;
  clientId: string;
  scopes: readonly string[];
  amr: readonly string[];
}

/** Asks the policy Worker whether this user may sign in to this client with this authentication context. */
async function signInAllowed(c: AuthContext, s: SignInSubject, mfa: boolean) {
  const decision = await c.get('services').mfa.policy(
    {
      principal: { type: 'User', id: s.userId },
      action: { type: 'Action', id: 'User_sign_in' },
      resource: { type: 'OAuthClient', id: s.clientId },
      context: { scopes: [...s.scopes], mfa, amr: [...s.amr] },
    },
    identityOf(c),
  );
  return decision.decision === 'Allow';
}

/**
 * The policy's answer for this authentication context and, when that is Deny without MFA, for the same with MFA
 * (Allow then means "a second factor is needed"). Throws PolicyUnavailableError: callers fail closed.
 */
export async function signInPolicy(c: AuthContext, s: SignInSubject): Promise<{ asIs: boolean; withMfa?: boolean }> {
  const hasMfa = s.amr.includes('mfa');
  const asIs = await signInAllowed(c, s, hasMfa);
  return asIs || hasMfa ? { asIs } : { asIs, withMfa: await signInAllowed(c, s, true) };
}

/** Undefined when the session is enough; else the second-factor page, or an error for the client. */
export async function requireStepUp(
  c: AuthContext,
  tx: LoginTransaction,
  current: CurrentSession,
  cookies: string[],
): Promise<Response | StepUpError | undefined> {
  const services = c.get('services');
  const { userId, amr } = current.session;
  const hasMfa = amr.includes('mfa');
  let policy: { asIs: boolean; withMfa?: boolean };
  try {
    policy = await signInPolicy(c, { userId, clientId: tx.request.clientId, scopes: tx.request.scopes, amr });
  } catch (err) {
    // Fail closed: no decision, no code.
    if (err instanceof PolicyUnavailableError) {
      return { error: 'temporarily_unavailable', description: 'the policy service is unavailable; retry shortly' };
    }
    throw err;
  }
  const wantsMfa = !policy.asIs || (tx.request.acrValues.length > 0 && !hasMfa);
  const decision = decideStepUp({
    acrValues: tx.request.acrValues,
    prompt: tx.request.prompt,
    sessionAmr: amr,
    // Only a request that may need a factor pays the factors lookup.
    userHasFactor: wantsMfa ? hasSecondFactor(await services.mfa.store.factors(userId)) : false,
    policy,
  });
  if (decision.action === 'continue') return undefined;
  if (decision.action === 'error') return { error: decision.error, description: decision.description };
  const txKey = await transactionKey(tx.id);
  await machineClient(services.state, secondFactorChallenges).begin(txKey, {
    txKey,
    userId,
    amr,
    expiresAt: nowSeconds() + SECOND_FACTOR_SECONDS,
  });
  return seeOther('/login/mfa', cookies);
}
