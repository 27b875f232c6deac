/**
 * Signing and verifying the JWTs of OpenID Connect with the platform's key ring: ID tokens (`typ: JWT`, so they can
 * never pass as access tokens, oidc/domain/id-token.ts) and the check of an `id_token_hint`, which accepts an
 * expired ID token (a hint, OIDC Core §3.1.2.1) but only one signed by this issuer's published keys.
 */
import { base64url, base64urlDecode } from '../../../../../shared/crypto.js';
import { type SigningKey, webCryptoAlgorithm } from '../../tokens/domain/access-token.js';
import type { AuthServices } from '../../services.js';
import { type IdTokenClaims, idTokenHeader } from '../domain/id-token.js';

const encoder = new TextEncoder();
const json = (value: unknown) => base64url(encoder.encode(JSON.stringify(value)));

export async function signIdToken(claims: IdTokenClaims, key: SigningKey): Promise<string> {
  const input = `${json(idTokenHeader(key.alg, key.kid))}.${json(claims)}`;
  const signature = await crypto.subtle.sign(webCryptoAlgorithm(key.alg), key.privateKey, encoder.encode(input));
  return `${input}.${base64url(new Uint8Array(signature))}`;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;

function decode(segment: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(
      new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(base64urlDecode(segment)),
    );
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The claims of an ID token this issuer signed (expiry not checked), or undefined. */
export async function verifyIdTokenHint(
  services: AuthServices,
  token: string,
): Promise<{ sub: string; aud: string[]; sid?: string } | undefined> {
  const parts = token.split('.');
  if (token.length > 8192 || parts.length !== 3 || !parts.every((p) => SEGMENT.test(p))) return undefined;
  const [head, body, sig] = parts as [string, string, string];
  const header = decode(head);
  if (header?.typ !== 'JWT' || typeof header.kid !== 'string' || typeof header.alg !== 'string') return undefined;
  const key = (await services.keys.verificationKeys(token))(header.kid);
  if (!key || key.alg !== header.alg) return undefined;
  let signature: Uint8Array;
  try {
    signature = base64urlDecode(sig);
  } catch {
    return undefined;
  }
  const ok = await crypto.subtle.verify(
    webCryptoAlgorithm(key.alg),
    key.publicKey,
    signature as BufferSource,
    encoder.encode(`${head}.${body}`),
  );
  if (!ok) return undefined;
  const claims = decode(body);
  if (!claims || claims.iss !== services.config.ISSUER || typeof claims.sub !== 'string') return undefined;
  const aud =
    typeof claims.aud === 'string'
      ? [claims.aud]
      : Array.isArray(claims.aud)
        ? claims.aud.filter((a): a is string => typeof a === 'string')
        : [];
  if (aud.length === 0) return undefined;
  return { sub: claims.sub, aud, ...(typeof claims.sid === 'string' ? { sid: claims.sid } : {}) };
}
