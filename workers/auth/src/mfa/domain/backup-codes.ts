/**
 * Backup codes: ten single-use codes, shown once. Each is 10 characters of an unambiguous alphabet (about 50 bits),
 * shown as `xxxxx-xxxxx`. Only a keyed hash is stored: HMAC-SHA-256 under a key derived from the key-encryption key
 * (mfa-keys.ts) over the user id and the normalized code, so a leaked table is useless without the KEK, and a code
 * of one user says nothing about another's.
 */
import { base64url } from '../../../../../shared/crypto.js';

export const BACKUP_CODE_COUNT = 10;
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const LENGTH = 10;

/** A fresh set of codes, as shown to the user. */
export function newBackupCodes(count = BACKUP_CODE_COUNT): string[] {
  const codes = new Set<string>();
  while (codes.size < count) {
    // Rejection sampling keeps every character uniform (256 is not a multiple of the alphabet's size).
    let code = '';
    while (code.length < LENGTH) {
      for (const byte of crypto.getRandomValues(new Uint8Array(16))) {
        if (byte < 248 && code.length < LENGTH) code += ALPHABET[byte % ALPHABET.length];
      }
    }
    codes.add(`${code.slice(0, 5)}-${code.slice(5)}`);
  }
  return [...codes];
}

/** What a user typed, as a code: case, spaces and dashes ignored; undefined when it cannot be one. */
export function normalizeBackupCode(typed: string): string | undefined {
  const code = typed.replace(/[\s-]/g, '').toLowerCase();
  if (code.length !== LENGTH) return undefined;
  for (const ch of code) if (!ALPHABET.includes(ch)) return undefined;
  return code;
}

/** The stored form of a (normalized or displayed) code for `userId`. */
export async function hashBackupCode(key: CryptoKey, userId: string, code: string): Promise<string> {
  const normalized = normalizeBackupCode(code) ?? '';
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`backup-code-v1|${userId}|${normalized}`));
  return base64url(new Uint8Array(mac));
}
