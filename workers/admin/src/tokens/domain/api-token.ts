/**
 * What an operator API token may be (pure). A token acts for the principal that creates it and can never do more
 * than its creator:
 *
 * - `scopes` are admin actions of the admin API; at least one. A creator that is itself a token can only hand on
 *   scopes it holds, so a token allowed to mint tokens cannot mint a wider one.
 * - `roles` are a subset of the creator's roles (default: all of them); the policy decides with them.
 * - it expires: `expires_in` seconds, at most the configured maximum, and never after a creating token.
 */
import type { AdminPrincipal } from '../../../../../shared/admin/entity.js';

export class ApiTokenError extends Error {
  readonly code = 'ERR_API_TOKEN';
  constructor(message: string) {
    super(message);
    this.name = 'ApiTokenError';
  }
}

export interface ApiTokenRequest {
  name: string;
  scopes: string[];
  roles?: string[];
  expires_in: number;
}

export interface ApiTokenPlan {
  roles: string[];
  scopes: string[];
  expiresAt: number;
}

export function planApiToken(
  creator: Pick<AdminPrincipal, 'roles' | 'scopes' | 'expiresAt'>,
  request: ApiTokenRequest,
  limits: { knownActions: readonly string[]; maxTtlSeconds: number; now: number },
): ApiTokenPlan {
  const scopes = [...new Set(request.scopes)].sort();
  if (scopes.length === 0) throw new ApiTokenError('scopes must name at least one admin action');
  const unknown = scopes.filter((s) => !limits.knownActions.includes(s));
  if (unknown.length > 0) throw new ApiTokenError(`unknown admin actions in scopes: ${unknown.join(', ')}`);
  if (creator.scopes) {
    const beyond = scopes.filter((s) => !creator.scopes?.includes(s));
    if (beyond.length > 0) {
      throw new ApiTokenError(`a token cannot grant scopes it does not hold: ${beyond.join(', ')}`);
    }
  }
  const roles = [...new Set(request.roles ?? creator.roles)].sort();
  const foreign = roles.filter((r) => !creator.roles.includes(r));
  if (foreign.length > 0) throw new ApiTokenError(`roles must be among the creator's: ${foreign.join(', ')}`);
  if (roles.length === 0) throw new ApiTokenError('the token needs at least one role');
  if (!Number.isInteger(request.expires_in) || request.expires_in < 60 || request.expires_in > limits.maxTtlSeconds) {
    throw new ApiTokenError(`expires_in must be an integer number of seconds in [60, ${limits.maxTtlSeconds}]`);
  }
  const expiresAt = limits.now + request.expires_in * 1000;
  if (creator.expiresAt !== undefined && expiresAt > creator.expiresAt) {
    throw new ApiTokenError('a token cannot outlive the token that creates it');
  }
  return { roles, scopes, expiresAt };
}
