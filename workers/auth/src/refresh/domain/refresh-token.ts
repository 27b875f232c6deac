/**
 * Refresh tokens: opaque, high-entropy, stored only as hashes.
 *
 * A token is `<family secret>.<token secret>`: 16 random bytes naming its family, then 32 random bytes of its own,
 * both base64url. Every token of a family carries the same family secret, and nothing else ever does, so:
 *
 * - the family's state key (and the `rfid` claim of its access tokens) is SHA-256 of the family secret
 *   (`familyKeyOf`): knowing the key, as any resource server does, does not let anyone form a token;
 * - a token whose family secret is right but whose token secret is not the current one (or the just-superseded one
 *   within the retry window) can only come from someone who held a token of that family: that is reuse, whichever
 *   generation it was, without keeping a list of every superseded hash;
 * - only SHA-256 of the whole token (`tokenHashOf`) is stored.
 *
 * The honest-retry answer (the same successor again) needs the successor itself, not its hash. It is kept sealed:
 * AES-256-GCM under a key derived (HKDF-SHA-256) from the token it replaced, with the family key as associated data.
 * Only someone presenting that superseded token can open it, and storage holds only that token's SHA-256, from which
 * the HKDF key cannot be computed; whoever reads or dumps the state store learns no usable token.
 */
import { base64url, base64urlDecode, sha256 } from '../../../../../shared/crypto.js';

const FAMILY_SECRET_BYTES = 16;
const TOKEN_SECRET_BYTES = 32;
const FAMILY_PART = /^[A-Za-z0-9_-]{22}$/;
const TOKEN_PART = /^[A-Za-z0-9_-]{43}$/;
const SEAL_INFO = new TextEncoder().encode('edge-security refresh-token successor v1');
const IV_BYTES = 12;

export interface ParsedRefreshToken {
  /** The whole token as presented. */
  token: string;
  /** The family's secret part (the first segment). */
  familySecret: string;
}

/** Splits a presented token; null when it is not one this server could have issued (never touches storage). */
export function parseRefreshToken(token: string): ParsedRefreshToken | null {
  if (typeof token !== 'string' || token.length !== 22 + 1 + 43) return null;
  const familySecret = token.slice(0, 22);
  if (token[22] !== '.' || !FAMILY_PART.test(familySecret) || !TOKEN_PART.test(token.slice(23))) return null;
  return { token, familySecret };
}

const random = (bytes: number) => base64url(crypto.getRandomValues(new Uint8Array(bytes)));

/** A new family's secret. */
export function newFamilySecret(): string {
  return random(FAMILY_SECRET_BYTES);
}

/** A new token of the family. */
export function newRefreshToken(familySecret: string): string {
  return `${familySecret}.${random(TOKEN_SECRET_BYTES)}`;
}

/** The family's state key and `rfid` claim: SHA-256 of its secret, base64url (43 characters). */
export async function familyKeyOf(familySecret: string): Promise<string> {
  return base64url(await sha256(`refresh-family:${familySecret}`));
}

/** What the family document stores of a token: SHA-256 of the whole token, base64url. */
export async function tokenHashOf(token: string): Promise<string> {
  return base64url(await sha256(token));
}

async function sealKey(presented: string, usage: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
  const ikm = await crypto.subtle.importKey('raw', new TextEncoder().encode(presented), 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: SEAL_INFO },
    ikm,
    { name: 'AES-GCM', length: 256 },
    false,
    [usage],
  );
}

/** Seals `successor` so that only a holder of `presented` (the token it replaces) can open it. */
export async function sealSuccessor(presented: string, successor: string, familyKey: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ct = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(familyKey) },
    await sealKey(presented, 'encrypt'),
    new TextEncoder().encode(successor),
  );
  const out = new Uint8Array(IV_BYTES + ct.byteLength);
  out.set(iv);
  out.set(new Uint8Array(ct), IV_BYTES);
  return base64url(out);
}

export class RefreshTokenSealError extends Error {
  readonly code = 'ERR_REFRESH_SEAL_INVALID';
  constructor() {
    super('the sealed successor does not open with the presented token');
    this.name = 'RefreshTokenSealError';
  }
}

/** Opens a sealed successor with the superseded token; throws RefreshTokenSealError on any mismatch. */
export async function openSuccessor(presented: string, sealed: string, familyKey: string): Promise<string> {
  try {
    const bytes = base64urlDecode(sealed);
    const pt = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: bytes.slice(0, IV_BYTES), additionalData: new TextEncoder().encode(familyKey) },
      await sealKey(presented, 'decrypt'),
      bytes.slice(IV_BYTES),
    );
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(pt);
  } catch {
    throw new RefreshTokenSealError();
  }
}
