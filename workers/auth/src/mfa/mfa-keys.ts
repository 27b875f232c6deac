/**
 * The MFA keys of this isolate, from the key-encryption keys (keys/domain/key-encryption-keys.ts): each KEK as an
 * AES-GCM key (TOTP secrets at rest, domain/secret-box.ts) and, derived with HKDF under its own label, the HMAC key
 * of backup-code hashes. The current KEK seals and hashes everything new; the retired ones still open and match
 * what was made under them before a rotation.
 */
import { allKeks, type KekConfig } from '../keys/domain/key-encryption-keys.js';
import { MfaSecretError, openTotpSecret } from './domain/secret-box.js';

export interface KekKeys {
  kek: CryptoKey;
  backupCodes: CryptoKey;
}

export interface MfaKeys extends KekKeys {
  /** The current KEK's id: the one `kek` and `backupCodes` come from. */
  kekId: string;
  /** Every KEK this isolate holds, by id, the current one first. */
  byId: ReadonlyMap<string, KekKeys>;
}

async function keysOf(raw: Uint8Array): Promise<KekKeys> {
  const bytes = new Uint8Array(raw);
  const ikm = await crypto.subtle.importKey('raw', bytes, 'HKDF', false, ['deriveKey']);
  return {
    kek: await crypto.subtle.importKey('raw', bytes, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']),
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
}

export function mfaKeys(config: KekConfig): () => Promise<MfaKeys> {
  let keys: Promise<MfaKeys> | undefined;
  return () => {
    keys ??= (async () => {
      const byId = new Map<string, KekKeys>();
      for (const [id, raw] of allKeks(config)) byId.set(id, await keysOf(raw));
      return { ...byId.get(config.KEK_ID)!, kekId: config.KEK_ID, byId };
    })();
    keys.catch(() => {
      keys = undefined;
    });
    return keys;
  };
}

/**
 * Opens a sealed TOTP secret under the KEK it names. Without a name (a pending enrolment, sealed minutes ago), every
 * KEK held is tried, the current one first: AES-GCM's tag tells the right one. Answers the secret and the KEK that
 * opened it, or undefined when no KEK held opens it (its KEK was dropped, or the ciphertext is damaged).
 */
export async function openSealedTotpSecret(
  keys: MfaKeys,
  userId: string,
  sealed: { secretCiphertext: string; kekId?: string },
): Promise<{ secret: Uint8Array; kekId: string } | undefined> {
  const candidates =
    sealed.kekId === undefined ? [...keys.byId] : [[sealed.kekId, keys.byId.get(sealed.kekId)] as const];
  for (const [kekId, held] of candidates) {
    if (!held) continue;
    try {
      return { secret: await openTotpSecret(held.kek, userId, sealed.secretCiphertext), kekId };
    } catch (err) {
      if (!(err instanceof MfaSecretError)) throw err;
    }
  }
  return undefined;
}
