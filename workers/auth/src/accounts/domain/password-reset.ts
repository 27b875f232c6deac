/**
 * One-time password resets set by an operator (`POST /admin/users/:id/password-reset`): a random token, shown to the
 * operator once, kept only as its hash (the key), redeemed once at `POST /password-reset` within its lifetime.
 */
import { defineMachine, isRecord, storeUntilExpiry } from '../../../../../shared/state/machine.js';

export const PASSWORD_RESET_SECONDS = 24 * 3600;

export interface PasswordReset {
  userId: string;
  /** Epoch seconds. */
  expiresAt: number;
}

function isPasswordReset(d: unknown): d is PasswordReset {
  return isRecord(d) && typeof d.userId === 'string' && typeof d.expiresAt === 'number';
}

export const passwordResets = defineMachine({
  name: 'password-reset',
  validate: isPasswordReset,
  transitions: {
    issue: storeUntilExpiry<PasswordReset>(),
    /** The user id for exactly one caller before the expiry; null otherwise. */
    redeem: (doc: PasswordReset | undefined, _args: undefined, now: number) => {
      if (!doc || doc.expiresAt * 1000 <= now) return { doc: undefined, result: null };
      return { doc: undefined, result: doc.userId };
    },
  },
});
