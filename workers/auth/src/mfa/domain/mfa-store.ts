/** The enrolled factors of a user, as the handlers use them (implemented on Postgres by storage/mfa-factors.ts). */

export interface TotpFactor {
  /** secret-box.ts ciphertext under the KEK named by `kekId`. */
  secretCiphertext: string;
  kekId: string;
  /** Epoch seconds. */
  createdAt: number;
}

export interface Passkey {
  /** Credential id, base64url. */
  id: string;
  userId: string;
  /** COSE public key, base64url. */
  publicKey: string;
  counter: number;
  transports: string[];
  deviceType: 'singleDevice' | 'multiDevice';
  name: string;
  /** Epoch seconds. */
  createdAt: number;
}

export interface UserFactors {
  totp?: TotpFactor;
  passkeys: Passkey[];
  /** Unused backup codes left (0 when none were ever generated). */
  backupCodesRemaining: number;
}

export interface MfaStore {
  factors(userId: string): Promise<UserFactors>;
  /** Sets (or replaces) the user's TOTP factor. */
  saveTotp(userId: string, factor: Omit<TotpFactor, 'createdAt'>): Promise<void>;
  /**
   * Moves the user's TOTP secret to another KEK (re-sealed, same secret) if it still is `from`: a concurrent
   * re-enrolment is not overwritten. Keeps its creation time.
   */
  resealTotp(userId: string, from: string, to: Omit<TotpFactor, 'createdAt'>): Promise<void>;
  /** True when there was one. */
  removeTotp(userId: string): Promise<boolean>;
  /** Replaces the user's backup codes with these hashes (the old set stops working in the same transaction). */
  replaceBackupCodes(userId: string, hashes: readonly string[]): Promise<void>;
  /**
   * Marks the code with one of these hashes (the typed code under each KEK held) used, once: answers the codes left,
   * or null when it was unknown or used.
   */
  useBackupCode(userId: string, hashes: readonly string[]): Promise<number | null>;
  /** False when the credential id is already registered (to anyone). */
  addPasskey(passkey: Omit<Passkey, 'createdAt'>): Promise<boolean>;
  findPasskey(id: string): Promise<Passkey | null>;
  /**
   * Records a use: the counter moves from `from` to `to` only if it still is `from` (two concurrent uses of one
   * credential cannot both move it). False when it moved meanwhile.
   */
  recordPasskeyUse(id: string, from: number, to: number): Promise<boolean>;
  /** False when the user has no passkey with this id. */
  renamePasskey(userId: string, id: string, name: string): Promise<boolean>;
  removePasskey(userId: string, id: string): Promise<boolean>;
}

/** True when the user must present a second factor after the password. */
export function hasSecondFactor(f: UserFactors): boolean {
  return f.totp !== undefined || f.passkeys.length > 0 || f.backupCodesRemaining > 0;
}
