/**
 * A family's lifetimes: the client's own (`refresh_token_idle_lifetime`, `refresh_token_absolute_lifetime`) where
 * they are shorter than the platform's, the platform's otherwise; the idle lifetime never exceeds the absolute one.
 */
export interface FamilyLifetimes {
  idleMs: number;
  absoluteMs: number;
}

export function familyLifetimes(
  client: { refresh_token_idle_lifetime?: number; refresh_token_absolute_lifetime?: number },
  platform: { REFRESH_TOKEN_IDLE_SECONDS: number; REFRESH_TOKEN_ABSOLUTE_SECONDS: number },
): FamilyLifetimes {
  const absolute = Math.min(
    client.refresh_token_absolute_lifetime ?? platform.REFRESH_TOKEN_ABSOLUTE_SECONDS,
    platform.REFRESH_TOKEN_ABSOLUTE_SECONDS,
  );
  const idle = Math.min(
    client.refresh_token_idle_lifetime ?? platform.REFRESH_TOKEN_IDLE_SECONDS,
    platform.REFRESH_TOKEN_IDLE_SECONDS,
    absolute,
  );
  return { idleMs: idle * 1000, absoluteMs: absolute * 1000 };
}
