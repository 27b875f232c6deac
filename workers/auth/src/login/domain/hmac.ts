/**
 * HMAC-SHA256 tags for values the browser carries back (CSRF tokens, device cookies). Verification goes
 * through WebCrypto's `verify`, which compares in constant time; tags are bound to a purpose label so a tag
 * made for one use is never accepted for another.
 */
import { base64url, base64urlDecode } from '../../../../../shared/crypto.js';

const encoder = new TextEncoder();
const TAG = /^[A-Za-z0-9_-]{43}$/;

/** Imports a secret of at least 32 bytes as an HMAC-SHA256 key. */
export async function importHmacKey(secret: Uint8Array): Promise<CryptoKey> {
  if (secret.byteLength < 32) throw new Error('an HMAC key needs at least 32 bytes');
  return crypto.subtle.importKey('raw', new Uint8Array(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ]);
}

function message(purpose: string, parts: readonly string[]): Uint8Array<ArrayBuffer> {
  // Length-prefixed fields: ("a|b", "c") and ("a", "b|c") never produce the same message.
  return new Uint8Array(encoder.encode([purpose, ...parts].map((p) => `${p.length}:${p}`).join('|')));
}

export async function hmacTag(key: CryptoKey, purpose: string, parts: readonly string[]): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.sign('HMAC', key, message(purpose, parts))));
}

export async function verifyHmacTag(
  key: CryptoKey,
  purpose: string,
  parts: readonly string[],
  tag: unknown,
): Promise<boolean> {
  if (typeof tag !== 'string' || !TAG.test(tag)) return false;
  return crypto.subtle.verify('HMAC', key, new Uint8Array(base64urlDecode(tag)), message(purpose, parts));
}
