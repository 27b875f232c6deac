/**
 * What a client may change about itself through RFC 7592 (pure).
 *
 * The scope, `allowed_resources` and `grant_types` approved with the initial access token (or at registration) are
 * the client's ceiling. An update authenticated with the registration access token may move them anywhere inside
 * it (narrowing, and widening back up to the approval), never beyond: that token is held by the client itself, so
 * anything beyond would be a client granting itself privileges. Only a caller holding the initial access token (the
 * operator) may widen, and the ceiling then moves with the new values.
 *
 * Scopes compare as sets of tokens; resources by exact string, as the token endpoint matches them
 * (tokens/domain/resource.ts); grant types by name.
 */
import { parseScope, scopesOutside } from '../../tokens/domain/scope.js';
import type { ClientMetadata } from './client-metadata.js';

/** The approved ceiling of a client. */
export interface Approval {
  scope: string[];
  resources: string[];
  grantTypes: string[];
}

/** What a request adds beyond the approval (all empty: within it). */
export interface Widening {
  scopes: string[];
  resources: string[];
  grantTypes: string[];
}

type Requested = Pick<ClientMetadata, 'scope' | 'allowed_resources' | 'grant_types'>;

/** The approval a registration (or an operator's update) grants: exactly what it registered. */
export function approvalOf(metadata: Requested): Approval {
  return {
    scope: parseScope(metadata.scope),
    resources: [...metadata.allowed_resources],
    grantTypes: [...metadata.grant_types],
  };
}

const outside = (requested: readonly string[], allowed: readonly string[]) => {
  const set = new Set(allowed);
  return requested.filter((v) => !set.has(v));
};

/** The scopes, resources and grant types of `requested` that `approved` does not cover. */
export function widenedBeyondApproval(approved: Approval, requested: Requested): Widening {
  return {
    scopes: scopesOutside(parseScope(requested.scope), approved.scope),
    resources: outside(requested.allowed_resources, approved.resources),
    grantTypes: outside(requested.grant_types, approved.grantTypes),
  };
}

export function isWidening(w: Widening): boolean {
  return w.scopes.length > 0 || w.resources.length > 0 || w.grantTypes.length > 0;
}

/** The refusal's description: which fields exceed the approval (never their values: they are the client's). */
export function describeWidening(w: Widening): string {
  const fields = [
    w.scopes.length > 0 ? 'scope' : undefined,
    w.resources.length > 0 ? 'allowed_resources' : undefined,
    w.grantTypes.length > 0 ? 'grant_types' : undefined,
  ].filter((f): f is string => f !== undefined);
  const verb = fields.length === 1 ? 'exceeds' : 'exceed';
  return `${fields.join(' and ')} ${verb} what was approved at registration; widening needs the initial access token`;
}

/** Whether a registration access token that expires at `expiresAt` (epoch ms) is still usable at `now`. */
export function registrationTokenUsable(expiresAt: number, now: number): boolean {
  return now < expiresAt;
}
