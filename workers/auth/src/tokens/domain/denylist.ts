/**
 * Reading the revocation denylist (pure). The denylist is a cache of Postgres `revoked_tokens`, and a cache that
 * can be flushed, restarted empty or evicted must never turn "not in the cache" into "not revoked". So the
 * denylist and its completeness marker live in ONE Redis key (a sorted set: each revoked jti scored by its token's
 * expiry, plus COMPLETE_MARKER), and nothing can remove one without the other:
 *
 * - a jti with a score: revoked;
 * - no score for the jti, marker present: not revoked (final: the set holds every unexpired revocation);
 * - no marker: the set is not known to be complete (flushed, restarted, never built): ask Postgres, and rebuild.
 *
 * Only a rebuild from Postgres writes the marker, after it has added every unexpired revocation; a revocation writes
 * Postgres first and then its own member, never the marker.
 */

export type DenylistAnswer = 'revoked' | 'not-revoked' | 'unknown';

const present = (score: unknown) => score !== null && score !== undefined;

/**
 * The answer of one lookup: the jti's score and the marker's score, as ZMSCORE returns them (null: absent), and for
 * a token issued from a refresh-token family, its family member's score (a revoked family revokes all its tokens).
 */
export function denylistAnswer(jtiScore: unknown, markerScore: unknown, familyScore?: unknown): DenylistAnswer {
  if (present(jtiScore) || present(familyScore)) return 'revoked';
  return present(markerScore) ? 'not-revoked' : 'unknown';
}

/**
 * The denylist member (and durable record id) of a revoked refresh-token family: a colon never occurs in a jti, so
 * it cannot name a token, nor the completeness marker (which starts with one).
 */
export function familyMember(familyKey: string): string {
  return `${FAMILY_PREFIX}${familyKey}`;
}

const FAMILY_PREFIX = 'rfid:';

/** The family key a denylist member names, or undefined when it names a token's jti. */
export function familyOfMember(member: string): string | undefined {
  return member.startsWith(FAMILY_PREFIX) ? member.slice(FAMILY_PREFIX.length) : undefined;
}
