/**
 * Step-up: when a signed-in user's session is not strong enough for this authorization request, the login asks for
 * the second factor (no password again: the session already proved it) and the new session carries it in `amr`.
 * Two sources decide "not strong enough":
 *
 * - the relying party, with `acr_values` naming ACR_MFA (OpenID Connect Core §3.1.2.1). A voluntary request: a user
 *   with no factor enrolled is not blocked, and the ID token's `acr` says what happened;
 * - the policy Worker (Cedar, action `User_sign_in` with context `{scopes, mfa, amr}`): a Deny that the same request
 *   with `mfa: true` would Allow means "a second factor is needed" (the shipped policy: the `admin` scope); a Deny
 *   either way is a refusal (`access_denied`), and so is a needed factor the user does not have.
 *
 * With `prompt=none` no page may be shown: `interaction_required`.
 */
import { SECOND_FACTOR_MISSING } from '../../../../../shared/oauth-error-text.js';
import { ACR_MFA } from './authentication-context.js';

export type StepUpDecision =
  | { action: 'continue' }
  | { action: 'second-factor' }
  | { action: 'error'; error: 'interaction_required' | 'access_denied'; description: string };

export interface StepUpInput {
  acrValues: readonly string[];
  prompt: readonly string[];
  sessionAmr: readonly string[];
  userHasFactor: boolean;
  /** The policy's decisions for this request: as the session stands, and (when that was Deny) with MFA. */
  policy: { asIs: boolean; withMfa?: boolean };
}

export function decideStepUp(input: StepUpInput): StepUpDecision {
  const hasMfa = input.sessionAmr.includes('mfa');
  if (!input.policy.asIs && (hasMfa || input.policy.withMfa !== true)) {
    return { action: 'error', error: 'access_denied', description: 'the policy does not allow this sign-in' };
  }
  const policyWantsMfa = !input.policy.asIs;
  const clientWantsMfa = input.acrValues.includes(ACR_MFA) && !hasMfa;
  if (!policyWantsMfa && !(clientWantsMfa && input.userHasFactor)) return { action: 'continue' };
  if (!input.userHasFactor) {
    return { action: 'error', error: 'access_denied', description: SECOND_FACTOR_MISSING };
  }
  if (input.prompt.includes('none')) {
    return { action: 'error', error: 'interaction_required', description: 'a second factor is required' };
  }
  return { action: 'second-factor' };
}

/** `acr_values_supported` (discovery): the values this server can satisfy. */
export const ACR_VALUES_SUPPORTED: readonly string[] = [ACR_MFA];
