/**
 * Checking a second-factor code for a user: the per-user attempt budget first (apart from password failures), then
 * a TOTP code (±1 step, each step once: the replay guard) or a backup code (single use, in one conditional update).
 * Every outcome is a security event.
 */
import { logError } from '../../../../../shared/dependencies.js';
import { machineClient } from '../../../../../shared/state/store.js';
import type { SecurityEventType } from '../../../../../shared/events/event.js';
import { addressOf } from '../../login/handlers/browser.js';
import { loginEvent } from '../../login/handlers/events.js';
import type { AuthContext } from '../../services.js';
import type { SecondFactorMethod } from '../domain/authentication-context.js';
import { hashBackupCode, normalizeBackupCode } from '../domain/backup-codes.js';
import type { UserFactors } from '../domain/mfa-store.js';
import { totpReplay } from '../domain/mfa-state.js';
import { sealTotpSecret } from '../domain/secret-box.js';
import { openSealedTotpSecret } from '../mfa-keys.js';
import { secondFactorBucket } from '../domain/throttle.js';
import { matchTotp, parseTotpCode } from '../domain/totp.js';

export type CodeCheck =
  | { ok: true; method: SecondFactorMethod; backupCodesRemaining?: number }
  | { ok: false; reason: 'throttled' | 'invalid' | 'replayed' | 'unavailable' };

/** Takes one attempt from the user's second-factor budget; false when it is spent. */
export async function takeAttempt(c: AuthContext, userId: string): Promise<boolean> {
  const services = c.get('services');
  const outcome = await services.mfa.limiter.take([secondFactorBucket(userId, services.mfa.attempts)], c.executionCtx);
  return outcome.allowed;
}

/**
 * A TOTP code against a sealed secret; the matched step is then claimed in the user's replay guard. `unavailable`:
 * no KEK this Worker holds opens the secret (its KEK was rotated out without being kept as retired).
 */
export async function checkTotp(
  c: AuthContext,
  userId: string,
  sealed: { secretCiphertext: string; kekId?: string },
  code: string,
): Promise<'ok' | 'invalid' | 'replayed' | 'unavailable'> {
  const services = c.get('services');
  const opened = await openSealedTotpSecret(await services.mfa.keys(), userId, sealed);
  if (!opened) {
    logError(
      'auth',
      'TOTP secret sealed under a KEK this Worker does not hold (see KEY_ENCRYPTION_KEYS_RETIRED)',
      undefined,
      {
        user_id: userId,
        kek_id: sealed.kekId,
      },
    );
    return 'unavailable';
  }
  const step = await matchTotp(opened.secret, code, Math.floor(Date.now() / 1000));
  if (step === undefined) return 'invalid';
  if (!(await machineClient(services.state, totpReplay).accept(userId, step))) return 'replayed';
  if (sealed.kekId !== undefined) await resealUnderCurrentKek(c, userId, sealed.secretCiphertext, opened);
  return 'ok';
}

/** A secret that opened under a retired KEK moves to the current one, so the retired KEK can eventually go. */
async function resealUnderCurrentKek(
  c: AuthContext,
  userId: string,
  from: string,
  opened: { secret: Uint8Array; kekId: string },
): Promise<void> {
  const services = c.get('services');
  const keys = await services.mfa.keys();
  if (opened.kekId === keys.kekId) return;
  const secretCiphertext = await sealTotpSecret(keys.kek, userId, opened.secret);
  await services.mfa.store.resealTotp(userId, from, { secretCiphertext, kekId: keys.kekId });
}

export async function verifySecondFactor(
  c: AuthContext,
  userId: string,
  factors: UserFactors,
  typed: string,
  clientId?: string,
): Promise<CodeCheck> {
  const services = c.get('services');
  const ip = addressOf(c);
  const who = { userId, ...(clientId ? { clientId } : {}) };
  const fail = (reason: 'throttled' | 'invalid' | 'replayed' | 'unavailable', method?: string): CodeCheck => {
    loginEvent(c, ip, 'mfa.challenge_failed', reason === 'throttled' ? 'denied' : 'failure', who, {
      reason,
      ...(method ? { method } : {}),
    });
    return { ok: false, reason };
  };
  if (!(await takeAttempt(c, userId))) return fail('throttled');

  const totpCode = parseTotpCode(typed);
  if (totpCode !== undefined) {
    if (!factors.totp) return fail('invalid', 'totp');
    const result = await checkTotp(c, userId, factors.totp, totpCode);
    if (result !== 'ok') return fail(result, 'totp');
    loginEvent(c, ip, 'mfa.challenge_succeeded', 'success', who, { method: 'totp' });
    return { ok: true, method: 'totp' };
  }
  const backup = normalizeBackupCode(typed);
  if (backup !== undefined && factors.backupCodesRemaining > 0) {
    // Hashed under every KEK held: codes made before a KEK rotation still match.
    const keys = [...(await services.mfa.keys()).byId.values()];
    const hashes = await Promise.all(keys.map((k) => hashBackupCode(k.backupCodes, userId, backup)));
    const remaining = await services.mfa.store.useBackupCode(userId, hashes);
    if (remaining === null) return fail('invalid', 'recovery_code');
    const used: SecurityEventType = 'mfa.recovery_code_used';
    loginEvent(c, ip, used, 'success', who, { remaining });
    loginEvent(c, ip, 'mfa.challenge_succeeded', 'success', who, { method: 'recovery_code' });
    return { ok: true, method: 'backup-code', backupCodesRemaining: remaining };
  }
  return fail('invalid');
}
