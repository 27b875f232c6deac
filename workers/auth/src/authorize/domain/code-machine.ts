/**
 * The authorization-code store as a keyed-state machine (shared/state): one document per code, keyed by the
 * code's hash (authorization-code.ts `codeKey`). Linearizable per key on every backend, so of concurrent
 * redemptions of one code exactly one consumes it.
 *
 * - `issue` stores the grant; the document outlives the code's 60 s by REUSE_MEMORY_SECONDS so that a replay
 *   after expiry is still recognised as one.
 * - `peek` reads the grant (no write) so the token endpoint can check client, redirect URI and PKCE before
 *   consuming: a request that fails those checks does not burn the client's code.
 * - `consume` marks it used and answers whether this caller was first; a later caller is a replay, which also
 *   flags the document.
 * - `recordTokens` stores the ids of the tokens issued from the code; when a replay was flagged meanwhile
 *   (concurrent redemptions) it tells the winner to revoke them at once.
 */
import { defineMachine, isRecord } from '../../../../../shared/state/machine.js';
import type { AuthorizationCodeGrant } from './authorization-code.js';

export const REUSE_MEMORY_SECONDS = 600;

export interface StoredCode extends AuthorizationCodeGrant {
  replayed?: boolean;
}

const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

function isStoredCode(d: unknown): d is StoredCode {
  return (
    isRecord(d) &&
    typeof d.clientId === 'string' &&
    typeof d.redirectUri === 'string' &&
    strings(d.scopes) &&
    typeof d.codeChallenge === 'string' &&
    typeof d.userId === 'string' &&
    typeof d.sessionId === 'string' &&
    typeof d.authTime === 'number' &&
    strings(d.amr) &&
    typeof d.issuedAt === 'number' &&
    typeof d.expiresAt === 'number' &&
    (d.nonce === undefined || typeof d.nonce === 'string') &&
    (d.consumedAt === undefined || typeof d.consumedAt === 'number') &&
    (d.issuedTokenIds === undefined || strings(d.issuedTokenIds))
  );
}

export type ConsumeResult = { grant: StoredCode; replay: boolean } | null;

export const authorizationCodes = defineMachine({
  name: 'authorization-code',
  validate: isStoredCode,
  transitions: {
    issue: (doc: StoredCode | undefined, grant: AuthorizationCodeGrant) =>
      doc
        ? { doc, result: false }
        : { doc: grant, result: true, expiresAt: (grant.expiresAt + REUSE_MEMORY_SECONDS) * 1000 },
    peek: (doc: StoredCode | undefined) => ({ doc, result: doc ?? null }),
    consume: (
      doc: StoredCode | undefined,
      _args: undefined,
      now: number,
    ): { doc: StoredCode | undefined; result: ConsumeResult } => {
      if (!doc) return { doc, result: null };
      if (doc.consumedAt !== undefined) {
        return { doc: doc.replayed ? doc : { ...doc, replayed: true }, result: { grant: doc, replay: true } };
      }
      const consumed = { ...doc, consumedAt: Math.floor(now / 1000) };
      return { doc: consumed, result: { grant: consumed, replay: false } };
    },
    recordTokens: (doc: StoredCode | undefined, tokenIds: string[]) => {
      if (!doc) return { doc, result: { revoke: true } };
      return {
        doc: { ...doc, issuedTokenIds: [...(doc.issuedTokenIds ?? []), ...tokenIds] },
        result: { revoke: doc.replayed === true },
      };
    },
  },
});
