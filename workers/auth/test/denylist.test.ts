import { describe, expect, it } from 'vitest';
import { denylistAnswer, familyMember } from '../src/tokens/domain/denylist.js';
import { COMPLETE_MARKER, howToSend, nextRoundTripEstimate } from '../src/tokens/storage/revocations.js';

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

describe('how a denylist lookup goes out', () => {
  it('before any round trip was timed: in a batch, on the next turn', () => {
    expect(howToSend(false, Number.POSITIVE_INFINITY)).toEqual({ coalesce: true, waitMs: 0 });
    expect(howToSend(true, Number.POSITIVE_INFINITY)).toEqual({ coalesce: true, waitMs: 0 });
  });

  it('to a near Redis: in a batch, which waits a moment to grow while another round trip is in flight', () => {
    expect(howToSend(false, 1)).toEqual({ coalesce: true, waitMs: 0 });
    expect(howToSend(true, 0)).toEqual({ coalesce: true, waitMs: 1 });
    expect(howToSend(true, 4.9)).toEqual({ coalesce: true, waitMs: 1 });
  });

  it('to a far Redis: alone and at once, in flight or not', () => {
    expect(howToSend(false, 5)).toEqual({ coalesce: false });
    expect(howToSend(true, 40)).toEqual({ coalesce: false });
  });

  it("the round-trip estimate follows a faster sample at once and a slower one slowly, so a busy isolate's queueing does not read as distance", () => {
    expect(nextRoundTripEstimate(Number.POSITIVE_INFINITY, 42)).toBe(42);
    expect(nextRoundTripEstimate(42, 1)).toBe(1);
    // One slow reply (queued behind other requests) leaves a near Redis near.
    expect(nextRoundTripEstimate(1, 30)).toBeCloseTo(3.9);
    expect(howToSend(false, nextRoundTripEstimate(1, 30)).coalesce).toBe(true);
    // A link that really is far is far after a few round trips.
    let estimate = 1;
    for (let i = 0; i < 10; i++) estimate = nextRoundTripEstimate(estimate, 40);
    expect(howToSend(false, estimate).coalesce).toBe(false);
  });
});
