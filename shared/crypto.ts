/** Small crypto helpers every Worker needs. WebCrypto only: in workerd it runs synchronously in BoringSSL. */

const encoder = new TextEncoder();

/**
 * Constant-time comparison of two strings. Both are hashed first so the comparison time depends on neither
 * the secret's length nor the position of the first difference.
 */
export async function timingSafeEqualStrings(a: string, b: string): Promise<boolean> {
  const [ha, hb] = await Promise.all([sha256(a), sha256(b)]);
  return timingSafeEqualBytes(ha, hb);
}

/**
 * Whether `presented` equals `secret`, in time that depends only on the secret's length. Every UTF-16 code unit of
 * the secret is compared whatever was presented (a missing one reads as 0 and the lengths are compared too), so the
 * time shows neither where the values differ nor how long the presented one is. Synchronous and on the strings
 * themselves: for a configured static token checked on every request, where hashing both sides
 * (timingSafeEqualStrings) would cost a digest and a promise, and encoding them two byte arrays.
 */
export function timingSafeEqualToSecret(presented: string, secret: string): boolean {
  let diff = presented.length ^ secret.length;
  for (let i = 0; i < secret.length; i++) diff |= secret.charCodeAt(i) ^ (presented.charCodeAt(i) | 0);
  return diff === 0;
}

export function timingSafeEqualBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

export async function sha256(input: string | Uint8Array): Promise<Uint8Array> {
  const data = typeof input === 'string' ? encoder.encode(input) : input;
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data as BufferSource));
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** `Uint8Array.prototype.toBase64` (ES2026): workerd and Cloudflare have it; Node 20 (scripts, Node tests) does not. */
type ToBase64 = (this: Uint8Array, options: { alphabet: 'base64url'; omitPadding: boolean }) => string;
const nativeToBase64 = (Uint8Array.prototype as { toBase64?: ToBase64 }).toBase64;
const UNPADDED_BASE64URL = { alphabet: 'base64url', omitPadding: true } as const;

/**
 * Unpadded base64url (RFC 4648 §5). It runs several times per issued token (payload, signature, jti), so it uses the
 * runtime's encoder where there is one: one string allocated instead of a concatenation per 3 bytes (about 6 KB of
 * garbage per token, and 3-4x the CPU).
 */
export function base64url(bytes: Uint8Array): string {
  return nativeToBase64 ? nativeToBase64.call(bytes, UNPADDED_BASE64URL) : base64urlByTable(bytes);
}

/** The same encoding in plain JavaScript, for runtimes without `toBase64`. Exported for its test. */
export function base64urlByTable(bytes: Uint8Array): string {
  const n = bytes.byteLength;
  let out = '';
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out += BASE64URL[v >>> 18]! + BASE64URL[(v >>> 12) & 63]! + BASE64URL[(v >>> 6) & 63]! + BASE64URL[v & 63]!;
  }
  if (i + 1 === n) {
    const v = (bytes[i] as number) << 16;
    out += BASE64URL[v >>> 18]! + BASE64URL[(v >>> 12) & 63]!;
  } else if (i + 2 === n) {
    const v = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
    out += BASE64URL[v >>> 18]! + BASE64URL[(v >>> 12) & 63]! + BASE64URL[(v >>> 6) & 63]!;
  }
  return out;
}

export function base64urlDecode(text: string): Uint8Array {
  const b64 = text
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(text.length / 4) * 4, '=');
  const binary = atob(b64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** A random token with `bytes` of entropy, base64url encoded (32 bytes = 256 bits by default). */
export function randomToken(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** SHA-256 of a secret, base64url. Secrets with 256 bits of entropy need no slow hash: nothing to brute-force. */
export async function hashSecret(secret: string): Promise<string> {
  return base64url(await sha256(secret));
}

const SEALED_VERSION = 'v1';

/**
 * AES-GCM for secrets at rest: `v1.<iv>.<ciphertext+tag>` (base64url), a random 96-bit IV each time and `aad` bound
 * in, so a sealed value copied onto another row (another aad) does not open.
 */
export async function sealAesGcm(key: CryptoKey, plaintext: Uint8Array, aad: Uint8Array): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: aad as BufferSource },
    key,
    plaintext as BufferSource,
  );
  return `${SEALED_VERSION}.${base64url(iv)}.${base64url(new Uint8Array(sealed))}`;
}

/**
 * Opens what sealAesGcm sealed: undefined when `sealed` is not in its format; rejects when it does not decrypt (another
 * key or aad, or an altered value).
 */
export async function openAesGcm(key: CryptoKey, sealed: string, aad: Uint8Array): Promise<Uint8Array | undefined> {
  const parts = sealed.split('.');
  if (parts.length !== 3 || parts[0] !== SEALED_VERSION) return undefined;
  const plain = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: base64urlDecode(parts[1]!) as BufferSource, additionalData: aad as BufferSource },
    key,
    base64urlDecode(parts[2]!) as BufferSource,
  );
  return new Uint8Array(plain);
}
