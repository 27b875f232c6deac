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

function claimValue(user: EndUser, claim: string): unknown {
  switch (claim) {
    case 'email':
      return user.email;
    case 'email_verified':
      return user.emailVerified;
    case 'name':
      return user.name;
    case 'given_name':
      return user.givenName;
    case 'family_name':
      return user.familyName;
    case 'nickname':
      return user.nickname;
    case 'preferred_username':
      return user.preferredUsername;
    case 'picture':
      return user.picture;
    case 'locale':
      return user.locale;
    case 'zoneinfo':
      return user.zoneinfo;
    case 'updated_at':
      return user.updatedAt;
    default:
      return undefined;
  }
}

/** The user claims released by `scopes` (without `sub`). */
export function claimsForScopes(user: EndUser, scopes: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const scope of scopes) {
    for (const claim of SCOPE_CLAIMS[scope] ?? []) {
      const value = claimValue(user, claim);
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
