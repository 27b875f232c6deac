import { describe, expect, it } from 'vitest';
import { familyLifetimes } from '../src/refresh/domain/lifetimes.js';

const platform = { REFRESH_TOKEN_IDLE_SECONDS: 14 * 86_400, REFRESH_TOKEN_ABSOLUTE_SECONDS: 90 * 86_400 };

describe('refresh-token family lifetimes', () => {
  it('the platform defaults when the client sets none', () => {
    expect(familyLifetimes({}, platform)).toEqual({ idleMs: 14 * 86_400_000, absoluteMs: 90 * 86_400_000 });
  });

  it('a client may shorten them, never lengthen them', () => {
    expect(
      familyLifetimes({ refresh_token_idle_lifetime: 3600, refresh_token_absolute_lifetime: 86_400 }, platform),
    ).toEqual({ idleMs: 3_600_000, absoluteMs: 86_400_000 });
    expect(
      familyLifetimes(
        { refresh_token_idle_lifetime: 30 * 86_400, refresh_token_absolute_lifetime: 365 * 86_400 },
        platform,
      ),
    ).toEqual({ idleMs: 14 * 86_400_000, absoluteMs: 90 * 86_400_000 });
  });

  it('the idle lifetime never exceeds the absolute one', () => {
    expect(familyLifetimes({ refresh_token_absolute_lifetime: 3600 }, platform)).toEqual({
      idleMs: 3_600_000,
      absoluteMs: 3_600_000,
    });
  });
});
