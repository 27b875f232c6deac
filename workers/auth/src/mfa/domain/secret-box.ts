/**
 * TOTP secrets at rest: AES-256-GCM under the key-encryption key, like the signing keys (keys/domain/signing-keys.ts),
 * with a random 96-bit IV per encryption and the owner's user id as additional authenticated data, so a ciphertext
 * copied onto another account does not decrypt. Format: `v1.<iv>.<ciphertext+tag>`, base64url.
 */
import { base64url, base64urlDecode } from '../../../../../shared/crypto.js';

const VERSION = 'v1';
const encoder = new TextEncoder();

export class MfaSecretError extends Error {
  constructor(
    readonly code: 'ERR_MFA_SECRET_FORMAT' | 'ERR_MFA_SECRET_DECRYPTION_FAILED',
    message: string,
  ) {
    super(message);
    this.name = 'MfaSecretError';
  }
}

function aad(userId: string): Uint8Array {
  return encoder.encode(`totp-secret|${userId}`);
}

export async function sealTotpSecret(kek: CryptoKey, userId: string, secret: Uint8Array): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: aad(userId) as BufferSource },
    kek,
    secret as BufferSource,
  );
  return `${VERSION}.${base64url(iv)}.${base64url(new Uint8Array(sealed))}`;
}

export async function openTotpSecret(kek: CryptoKey, userId: string, stored: string): Promise<Uint8Array> {
  const parts = stored.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION) {
    throw new MfaSecretError('ERR_MFA_SECRET_FORMAT', 'unknown TOTP secret ciphertext format');
  }
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: base64urlDecode(parts[1]!) as BufferSource, additionalData: aad(userId) as BufferSource },
      kek,
      base64urlDecode(parts[2]!) as BufferSource,
    );
    return new Uint8Array(plain);
  } catch {
    throw new MfaSecretError('ERR_MFA_SECRET_DECRYPTION_FAILED', 'the TOTP secret does not decrypt under this KEK');
  }
}
