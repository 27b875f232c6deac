/**
 * End-user claims by scope (OpenID Connect Core §5.4) and the UserInfo response (§5.3.2).
 *
 * `sub` is the account's stable, opaque identifier, never the email address: an email can change hands and
 * is personal data the client only gets with the `email` scope. Claims with no value are omitted rather than
 * sent as null or "" (§5.3.2). Only the claims this server keeps are listed; an unknown scope adds nothing.
 */

export interface EndUser {
  /** Stable account identifier (the `sub`). */
  id: string;
  email: string;
  emailVerified: boolean;
  name?: string;
  givenName?: string;
  familyName?: string;
  nickname?: string;
  preferredUsername?: string;
  picture?: string;
  locale?: string;
  zoneinfo?: string;
  /** Seconds since the epoch when the profile last changed. */
  updatedAt?: number;
}

/** The claims each standard scope releases (only those this server stores). */
export const SCOPE_CLAIMS: Readonly<Record<string, readonly string[]>> = {
  profile: [
    'name',
    'given_name',
    'family_name',
    'nickname',
    'preferred_username',
    'picture',
    'locale',
    'zoneinfo',
    'updated_at',
  ],
  email: ['email', 'email_verified'],
};

export const CLAIMS_SUPPORTED: readonly string[] = [
  'sub',
  'iss',
  'aud',
  'exp',
  'iat',
  'auth_time',
  'nonce',
  'acr',
  'amr',
  'azp',
  'sid',
  'at_hash',
  ...Object.values(SCOPE_CLAIMS).flat(),
];

/** Where each claim's value comes from. */
const CLAIM_VALUES: Readonly<Record<string, (user: EndUser) => unknown>> = {
  email: (u) => u.email,
  email_verified: (u) => u.emailVerified,
  name: (u) => u.name,
  given_name: (u) => u.givenName,
  family_name: (u) => u.familyName,
  nickname: (u) => u.nickname,
  preferred_username: (u) => u.preferredUsername,
  picture: (u) => u.picture,
  locale: (u) => u.locale,
  zoneinfo: (u) => u.zoneinfo,
  updated_at: (u) => u.updatedAt,
};

/** The user claims released by `scopes` (without `sub`). */
export function claimsForScopes(user: EndUser, scopes: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const scope of scopes) {
    for (const claim of SCOPE_CLAIMS[scope] ?? []) {
      const value = CLAIM_VALUES[claim]?.(user);
      if (value !== undefined && value !== '') out[claim] = value;
    }
  }
  return out;
}

/**
 * The UserInfo response for an access token carrying `scopes`. Without `openid` there is no UserInfo
 * (the token was issued for a plain OAuth request): callers answer 403 insufficient_scope.
 */
export function userInfoResponse(user: EndUser, scopes: readonly string[]): Record<string, unknown> | undefined {
  if (!scopes.includes('openid')) return undefined;
  return { sub: user.id, ...claimsForScopes(user, scopes) };
}
