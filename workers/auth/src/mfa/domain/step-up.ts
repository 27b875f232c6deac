/**
 * Step-up by `acr_values` (OpenID Connect Core §3.1.2.1): a relying party asking for ACR_MFA gets a session that
 * passed a second factor. A signed-in user whose session did not is sent to the second-factor page of this login
 * (no password again: the session already proved it), and the new session carries the second factor in `amr`.
 * `acr_values` is a voluntary request: a user with no factor enrolled is not blocked, and the ID token's `acr`
 * says what happened. With `prompt=none` no page may be shown: `interaction_required`.
 */
import { ACR_MFA } from './authentication-context.js';

export type StepUpDecision = 'continue' | 'second-factor' | 'interaction-required';

export function decideStepUp(input: {
  acrValues: readonly string[];
  prompt: readonly string[];
  sessionAmr: readonly string[];
  userHasFactor: boolean;
}): StepUpDecision {
  if (!input.acrValues.includes(ACR_MFA) || input.sessionAmr.includes('mfa') || !input.userHasFactor) return 'continue';
  return input.prompt.includes('none') ? 'interaction-required' : 'second-factor';
}

/** `acr_values_supported` (discovery): the values this server can satisfy. */
export const ACR_VALUES_SUPPORTED: readonly string[] = [ACR_MFA];
