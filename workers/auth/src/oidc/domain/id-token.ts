/**
 * ID token claims (OpenID Connect Core §2, §3.1.3.6) and the JOSE header rule, independent of the signer.
 *
 * - `sub` is the account id; `aud` the client; `azp` is added when there is more than one audience (§2).
 * - `nonce` is echoed exactly when the authorization request had one; `auth_time` is always present (the server
 *   supports max_age, and clients using it require the claim); `sid` names the session for logout.
 * - `at_hash` is the base64url of the left half of SHA-256 of the access token (ES256 and EdDSA-with-SHA-512
 *   are the algorithms we sign with; for EdDSA, OIDC follows the hash of the algorithm family, SHA-512).
 * - Scope claims (profile, email) go to UserInfo when an access token is issued, as §5.4 directs for the
 *   code flow, unless `claimsInIdToken` asks for them (first-party clients that never call UserInfo).
 * - Header: `typ: "JWT"`, never `at+jwt`, so an ID token cannot pass as an access token at a resource server
 *   that checks `typ` (RFC 9068 §4, RFC 8725 §3.11), and an access token cannot pass as an ID token.
 */
import { base64url } from '../../../../../shared/crypto.js';
import { claimsForScopes, type EndUser } from './claims.js';

export const ID_TOKEN_TYP = 'JWT';
export const DEFAULT_ID_TOKEN_TTL_SECONDS = 300;

export type IdTokenAlg = 'ES256' | 'EdDSA';

export interface IdTokenInput {
  issuer: string;
  user: EndUser;
  clientId: string;
  /** Extra audiences besides the client (rare); `azp` is then added. */
  extraAudiences?: readonly string[];
  scopes: readonly string[];
  /** Seconds. */
  now: number;
  ttlSeconds?: number;
  authTime: number;
  nonce?: string;
  acr?: string;
  amr?: readonly string[];
  sessionId?: string;
  /** The access token issued alongside, for at_hash. */
  accessToken?: string;
  alg: IdTokenAlg;
  /** Put the scope claims in the ID token as well as in UserInfo. */
  claimsInIdToken?: boolean;
}

export interface IdTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  auth_time: number;
  nonce?: string;
  acr?: string;
  amr?: string[];
  azp?: string;
  sid?: string;
  at_hash?: string;
  [claim: string]: unknown;
}

export function idTokenHeader(alg: IdTokenAlg, kid: string): { alg: IdTokenAlg; typ: string; kid: string } {
  return { alg, typ: ID_TOKEN_TYP, kid };
}

/** at_hash / c_hash (OIDC Core §3.1.3.6, §3.3.2.11): left half of the hash of the ASCII value, base64url. */
export async function leftHalfHash(value: string, alg: IdTokenAlg): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest(alg === 'EdDSA' ? 'SHA-512' : 'SHA-256', new TextEncoder().encode(value)),
  );
  return base64url(digest.subarray(0, digest.byteLength / 2));
}

export async function buildIdTokenClaims(input: IdTokenInput): Promise<IdTokenClaims> {
  const audiences = [input.clientId, ...(input.extraAudiences ?? []).filter((a) => a !== input.clientId)];
  const claims: IdTokenClaims = {
    iss: input.issuer,
    sub: input.user.id,
    aud: audiences.length === 1 ? input.clientId : audiences,
    exp: input.now + (input.ttlSeconds ?? DEFAULT_ID_TOKEN_TTL_SECONDS),
    iat: input.now,
    auth_time: input.authTime,
  };
  if (audiences.length > 1) claims.azp = input.clientId;
  if (input.nonce !== undefined) claims.nonce = input.nonce;
  if (input.acr !== undefined) claims.acr = input.acr;
  if (input.amr !== undefined && input.amr.length > 0) claims.amr = [...input.amr];
  if (input.sessionId !== undefined) claims.sid = input.sessionId;
  if (input.accessToken !== undefined) claims.at_hash = await leftHalfHash(input.accessToken, input.alg);
  if (input.claimsInIdToken || input.accessToken === undefined) {
    // Without an access token the client has no way to reach UserInfo: the claims must be in the ID token.
    for (const [k, v] of Object.entries(claimsForScopes(input.user, input.scopes))) claims[k] = v;
  }
  return claims;
}
