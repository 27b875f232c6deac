import { describe, expect, it } from 'vitest';
import { denylistAnswer, familyMember } from '../src/tokens/domain/denylist.js';
import { COMPLETE_MARKER, holdBeforeSending } from '../src/tokens/storage/revocations.js';

describe('reading the revocation denylist', () => {
  it('a scored jti is revoked, whatever the marker says', () => {
    expect(denylistAnswer('1800000000', null)).toBe('revoked');
    expect(denylistAnswer(1_800_000_000, Number.MAX_SAFE_INTEGER)).toBe('revoked');
  });

  it('a miss is final only with the completeness marker in the same set', () => {
    expect(denylistAnswer(null, String(Number.MAX_SAFE_INTEGER))).toBe('not-revoked');
    // Flushed, restarted empty, evicted, never built: not known, so the durable record must answer.
    expect(denylistAnswer(null, null)).toBe('unknown');
    expect(denylistAnswer(undefined, undefined)).toBe('unknown');
  });

  it("a token from a revoked refresh-token family is revoked, whatever its own jti's score", () => {
    expect(denylistAnswer(null, String(Number.MAX_SAFE_INTEGER), '1800000000')).toBe('revoked');
    expect(denylistAnswer(null, null, 1_800_000_000)).toBe('revoked');
    expect(denylistAnswer(null, String(Number.MAX_SAFE_INTEGER), null)).toBe('not-revoked');
    expect(denylistAnswer(null, null, null)).toBe('unknown');
  });

  it('a family member can name neither a jti nor the completeness marker', () => {
    const member = familyMember('x'.repeat(43));
    expect(member).toContain(':'); // jtis are base64url: never a colon
    expect(member).not.toBe(COMPLETE_MARKER);
    expect(member.startsWith(':')).toBe(false);
  });
});

describe('when a batch of denylist lookups is sent', () => {
  it('at once when nothing is in flight, or when Redis is far (the wire, not the isolate, is the cost)', () => {
    expect(holdBeforeSending(false, 1)).toBe(0);
    expect(holdBeforeSending(true, 40)).toBe(0);
    // Not yet timed: treated as far.
    expect(holdBeforeSending(true, Number.POSITIVE_INFINITY)).toBe(0);
  });

  it('after a moment, to gather more lookups, while a round trip to a near Redis is in flight', () => {
    expect(holdBeforeSending(true, 0)).toBe(1);
    expect(holdBeforeSending(true, 4)).toBe(1);
    expect(holdBeforeSending(true, 5)).toBe(0);
  });
});
