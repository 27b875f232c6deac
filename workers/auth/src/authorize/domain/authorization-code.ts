/**
 * Authorization codes: what a code stands for, and the checks at the token endpoint (RFC 6749 §4.1.3,
 * RFC 7636 §4.6). The strongly consistent code store keeps the grant under `codeKey(code)` (a hash: a store
 * dump reveals no usable code), consumes it once, and remembers a consumed grant until it would have expired,
 * so a replay is recognised and the tokens issued from the code can be revoked (RFC 6749 §4.1.2, RFC 9700 §4.5).
 */
import { hashSecret, randomToken } from '../../../../../shared/crypto.js';
import { verifyPkce } from './pkce.js';

/** Codes are used within seconds of issue; a short life limits what a leaked code is worth. */
export const AUTHORIZATION_CODE_TTL_SECONDS = 60;

export interface AuthorizationCodeGrant {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  codeChallenge: string;
  userId: string;
  sessionId: string;
  /** When the user last authenticated (seconds): the ID token's auth_time. */
  authTime: number;
  amr: string[];
  acr?: string;
  nonce?: string;
  issuedAt: number;
  expiresAt: number;
  /** Set by the store when the code is redeemed. */
  consumedAt?: number;
  /** Identifiers of the tokens issued from this code, recorded at redemption. */
  issuedTokenIds?: string[];
}

export interface NewCode {
  /** Sent to the client once. */
  code: string;
  /** Stored: SHA-256 of the code. */
  key: string;
}

const CODE = /^[A-Za-z0-9_-]{43}$/;

export async function newAuthorizationCode(): Promise<NewCode> {
  const code = randomToken(32);
  return { code, key: await hashSecret(code) };
}

/** The store key for a presented code, or undefined when it cannot be one of ours (no lookup needed). */
export async function codeKey(code: unknown): Promise<string | undefined> {
  return typeof code === 'string' && CODE.test(code) ? hashSecret(code) : undefined;
}

export interface CodeRedemption {
  /** The authenticated (or, for public clients, identified) client. */
  clientId: string;
  redirectUri: string | undefined;
  codeVerifier: string | undefined;
  /** Seconds. */
  now: number;
}

export type RedemptionDecision =
  | { ok: true }
  | { ok: false; error: 'invalid_grant'; description: string; revokeTokenIds: string[] };

/** Decides whether `grant` may be exchanged for tokens by this request. */
export async function checkCodeRedemption(
  grant: AuthorizationCodeGrant,
  req: CodeRedemption,
): Promise<RedemptionDecision> {
  const refuse = (description: string, revokeTokenIds: string[] = []): RedemptionDecision => ({
    ok: false,
    error: 'invalid_grant',
    description,
    revokeTokenIds,
  });
  // A second redemption means the code leaked: one of the two parties is not the client, and nobody can tell
  // which. The tokens from the first redemption are revoked (RFC 6749 §4.1.2).
  if (grant.consumedAt !== undefined) return refuse('the code has already been used', grant.issuedTokenIds ?? []);
  if (req.now >= grant.expiresAt) return refuse('the code has expired');
  if (req.clientId !== grant.clientId) return refuse('the code was issued to another client');
  if (req.redirectUri !== grant.redirectUri) return refuse('redirect_uri does not match the authorization request');
  if (req.codeVerifier === undefined) return refuse('code_verifier is required');
  if (!(await verifyPkce(req.codeVerifier, grant.codeChallenge))) return refuse('code_verifier does not match');
  return { ok: true };
}
