/**
 * OAuth scope strings (RFC 6749 §3.3): space-delimited, case-sensitive scope tokens of the characters
 * %x21 / %x23-5B / %x5D-7E. Parsing is strict (single spaces, no leading or trailing space) so two parties
 * can never read one string as different sets.
 */

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
/** Bounds keep a hostile scope string from costing much: 64 scopes of up to 128 characters. */
export const MAX_SCOPES = 64;
export const MAX_SCOPE_TOKEN_LENGTH = 128;

export class ScopeSyntaxError extends Error {
  readonly code = 'ERR_SCOPE_SYNTAX';
  constructor(message: string) {
    super(message);
    this.name = 'ScopeSyntaxError';
  }
}

/** Parses a scope string into its distinct tokens, in first-seen order. An empty string is the empty set. */
export function parseScope(scope: string): string[] {
  if (scope === '') return [];
  const tokens = scope.split(' ');
  if (tokens.length > MAX_SCOPES) throw new ScopeSyntaxError(`at most ${MAX_SCOPES} scopes are allowed`);
  const out: string[] = [];
  for (const token of tokens) {
    if (token === '') throw new ScopeSyntaxError('scope tokens are separated by single spaces');
    if (token.length > MAX_SCOPE_TOKEN_LENGTH) {
      throw new ScopeSyntaxError(`a scope token is longer than ${MAX_SCOPE_TOKEN_LENGTH} characters`);
    }
    // Not echoed: the token is the client's and may hold exactly the characters an error text must not.
    if (!SCOPE_TOKEN.test(token)) throw new ScopeSyntaxError('a scope token contains characters outside RFC 6749 §3.3');
    if (!out.includes(token)) out.push(token);
  }
  return out;
}

export function formatScope(scopes: readonly string[]): string {
  return scopes.join(' ');
}

/** Scopes of `requested` that are not in `allowed` (empty when `requested` is a subset). */
export function scopesOutside(requested: readonly string[], allowed: readonly string[]): string[] {
  const set = new Set(allowed);
  return requested.filter((s) => !set.has(s));
}

/**
 * The scope to grant for a token request (RFC 6749 §3.3): the requested scopes when they are all registered for
 * the client, the client's full registered scope when none was requested. Throws ScopeNotAllowedError otherwise.
 */
export function grantScope(requested: string | undefined, registered: readonly string[]): string[] {
  if (requested === undefined) return [...registered];
  const scopes = parseScope(requested);
  const extra = scopesOutside(scopes, registered);
  if (extra.length > 0) throw new ScopeNotAllowedError(extra);
  return scopes;
}

export class ScopeNotAllowedError extends Error {
  readonly code = 'ERR_SCOPE_NOT_ALLOWED';
  constructor(readonly scopes: string[]) {
    super(`scope not allowed for this client: ${scopes.slice(0, 5).join(' ')}`);
    this.name = 'ScopeNotAllowedError';
  }
}
