import { describe, expect, it } from 'vitest';
import { denylistAnswer } from '../src/tokens/domain/denylist.js';

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
});
