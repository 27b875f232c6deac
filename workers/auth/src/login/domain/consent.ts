/**
 * Consent: whether the user must be asked before a client gets the requested scopes.
 *
 * - First-party clients (an operator flag, never a registration field) skip consent: the operator vouches.
 * - Otherwise a remembered grant for (user, client) covers the request exactly when every requested scope was
 *   granted before; new scopes are asked for, listed in words. `prompt=consent` always asks.
 * - With `prompt=none`, a needed page becomes the `consent_required` error.
 * - `offline_access` is never assumed: it must be granted like any other scope (OIDC Core §11).
 */
import type { Prompt } from '../../authorize/domain/parameters.js';

export interface ConsentInput {
  firstParty: boolean;
  requestedScopes: readonly string[];
  /** Scopes the user granted this client before (empty when never). */
  grantedScopes: readonly string[];
  prompt: readonly Prompt[];
}

export type ConsentDecision =
  | { action: 'skip' }
  | { action: 'ask'; scopes: string[]; newScopes: string[] }
  | { action: 'error'; error: 'consent_required'; description: string };

export function decideConsent(input: ConsentInput): ConsentDecision {
  const forced = input.prompt.includes('consent');
  if (input.firstParty && !forced) return { action: 'skip' };
  const granted = new Set(input.grantedScopes);
  const newScopes = input.requestedScopes.filter((s) => !granted.has(s));
  if (newScopes.length === 0 && !forced) return { action: 'skip' };
  if (input.prompt.includes('none')) {
    return { action: 'error', error: 'consent_required', description: 'the user has not granted the requested scopes' };
  }
  return { action: 'ask', scopes: [...input.requestedScopes], newScopes };
}

/** The grant to remember after the user approves: what they had plus what they approved now. */
export function mergeGrant(granted: readonly string[], approved: readonly string[]): string[] {
  return [...new Set([...granted, ...approved])];
}

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  openid: 'Know who you are (a stable identifier for your account)',
  profile: 'See your name and profile details',
  email: 'See your email address',
  offline_access: 'Keep access while you are not using it',
};

/** A sentence describing what a scope lets the client do; API scopes the operator defines fall back to their name. */
export function describeScope(scope: string, apiDescriptions: Readonly<Record<string, string>> = {}): string {
  return DESCRIPTIONS[scope] ?? apiDescriptions[scope] ?? `Use the "${scope}" permission`;
}
