/**
 * PKCE (RFC 7636), S256 only.
 *
 * `plain` is refused, and so is a missing `code_challenge_method` (RFC 7636 §4.3 makes it default to plain):
 * with plain, whoever sees the authorization request also holds the verifier. A challenge is exactly the
 * base64url form of a SHA-256 digest: 43 characters whose last one carries only two meaningful bits, so a
 * challenge no verifier can ever produce is refused up front.
 */
import { base64url, sha256, timingSafeEqualBytes } from '../../../../../shared/crypto.js';

/** RFC 7636 §4.1: 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~". */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
/** base64url of 32 bytes: 42 free characters, then one of the 16 whose low two bits are zero. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

export const PKCE_METHOD = 'S256';

export type PkceProblem = 'challenge_missing' | 'method_missing' | 'method_not_supported' | 'challenge_invalid';

export function isCodeVerifier(value: unknown): value is string {
  return typeof value === 'string' && VERIFIER.test(value);
}

export function isS256Challenge(value: unknown): value is string {
  return typeof value === 'string' && S256_CHALLENGE.test(value);
}

/** Checks the PKCE parameters of an authorization request; undefined when they are acceptable. */
export function checkPkceRequest(challenge: string | undefined, method: string | undefined): PkceProblem | undefined {
  if (challenge === undefined || challenge === '') return 'challenge_missing';
  if (method === undefined || method === '') return 'method_missing';
  if (method !== PKCE_METHOD) return 'method_not_supported';
  if (!isS256Challenge(challenge)) return 'challenge_invalid';
  return undefined;
}

export const PKCE_PROBLEM_MESSAGES: Record<PkceProblem, string> = {
  challenge_missing: 'code_challenge is required (PKCE with S256)',
  method_missing: 'code_challenge_method is required and must be S256',
  method_not_supported: 'code_challenge_method must be S256',
  challenge_invalid: 'code_challenge is not a base64url SHA-256 digest',
};

export async function s256Challenge(verifier: string): Promise<string> {
  return base64url(await sha256(verifier));
}

/** True when `verifier` is well formed and its S256 transform equals `challenge` (constant-time comparison). */
export async function verifyPkce(verifier: unknown, challenge: string): Promise<boolean> {
  if (!isCodeVerifier(verifier) || !isS256Challenge(challenge)) return false;
  const enc = new TextEncoder();
  return timingSafeEqualBytes(enc.encode(await s256Challenge(verifier)), enc.encode(challenge));
}
