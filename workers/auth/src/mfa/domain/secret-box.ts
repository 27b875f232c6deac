/**
 * TOTP secrets at rest: AES-256-GCM under the key-encryption key, like the signing keys (keys/domain/signing-keys.ts),
 * with a random 96-bit IV per encryption and the owner's user id as additional authenticated data, so a ciphertext
 * copied onto another account does not decrypt. Format: `v1.<iv>.<ciphertext+tag>`, base64url (shared/crypto.ts
 * `sealAesGcm`).
 */
import { openAesGcm, sealAesGcm } from '../../../../../shared/crypto.js';

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

export function sealTotpSecret(kek: CryptoKey, userId: string, secret: Uint8Array): Promise<string> {
  return sealAesGcm(kek, secret, aad(userId));
}

export async function openTotpSecret(kek: CryptoKey, userId: string, stored: string): Promise<Uint8Array> {
  try {
    const plain = await openAesGcm(kek, stored, aad(userId));
    if (plain) return plain;
  } catch {
    throw new MfaSecretError('ERR_MFA_SECRET_DECRYPTION_FAILED', 'the TOTP secret does not decrypt under this KEK');
  }
  throw new MfaSecretError('ERR_MFA_SECRET_FORMAT', 'unknown TOTP secret ciphertext format');
}
