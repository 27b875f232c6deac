/**
 * The MFA keys of this isolate, from the key-encryption key: the KEK itself as an AES-GCM key (TOTP secrets at
 * rest, domain/secret-box.ts) and, derived with HKDF under its own label, the HMAC key of backup-code hashes.
 */
export interface MfaKeys {
  kek: CryptoKey;
  backupCodes: CryptoKey;
}

export function mfaKeys(kek: Uint8Array): () => Promise<MfaKeys> {
  let keys: Promise<MfaKeys> | undefined;
  return () => {
    keys ??= (async () => {
      const raw = new Uint8Array(kek);
      const ikm = await crypto.subtle.importKey('raw', raw, 'HKDF', false, ['deriveKey']);
      return {
        kek: await crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']),
        backupCodes: await crypto.subtle.deriveKey(
          {
            name: 'HKDF',
            hash: 'SHA-256',
            salt: new Uint8Array(0),
            info: new TextEncoder().encode('edge-security mfa backup-codes v1'),
          },
          ikm,
          { name: 'HMAC', hash: 'SHA-256', length: 256 },
          false,
          ['sign'],
        ),
      };
    })();
    keys.catch(() => {
      keys = undefined;
    });
    return keys;
  };
}
