/**
 * The second factor's strongly consistent state, as keyed-state machines (shared/state): the TOTP replay guard of
 * each user, TOTP enrolments waiting for their first code, and the second-factor step of a login transaction.
 * Machine `now` is epoch ms; documents keep epoch seconds like the login's.
 */
import {
  defineMachine,
  type Expiring,
  isRecord,
  readUnexpired,
  storeUntilExpiry,
} from '../../../../../shared/state/machine.js';
import { TOTP_PERIOD_SECONDS, TOTP_WINDOW } from './totp.js';

const sec = (ms: number) => Math.floor(ms / 1000);

export interface TotpReplayGuard {
  /** The last time step accepted for this user. */
  lastStep: number;
}

/**
 * Keyed by user id. `accept(step)` succeeds once per step, and never for a step at or before the last accepted
 * one (RFC 6238 §5.2: a verifier must not accept the second attempt of the same OTP). Kept until that step has
 * left every verification window.
 */
export const totpReplay = defineMachine({
  name: 'totp-replay',
  validate: (d): d is TotpReplayGuard => isRecord(d) && Number.isSafeInteger(d.lastStep),
  transitions: {
    accept: (doc: TotpReplayGuard | undefined, step: number) => {
      if (doc && step <= doc.lastStep) return { doc, result: false };
      return {
        doc: { lastStep: step },
        result: true,
        expiresAt: (step + TOTP_WINDOW + 2) * TOTP_PERIOD_SECONDS * 1000,
      };
    },
  },
});

/** What the documents below have in common: the user each is for, and its end (`expiresAt`, epoch seconds). */
interface UserDocument extends Expiring {
  userId: string;
}

function isUserDocument(d: unknown): d is Record<string, unknown> & UserDocument {
  return isRecord(d) && typeof d.userId === 'string' && typeof d.expiresAt === 'number';
}

export interface TotpEnrolment extends UserDocument {
  /** The new secret, sealed like a stored one (secret-box.ts). */
  secretCiphertext: string;
}

/** How long an enrolment waits for its first code. */
export const TOTP_ENROLMENT_SECONDS = 10 * 60;

/** Keyed by the session's store key: an enrolment belongs to the signed-in browser that started it. */
export const totpEnrolments = defineMachine({
  name: 'totp-enrolment',
  validate: (d: unknown): d is TotpEnrolment => isUserDocument(d) && typeof d.secretCiphertext === 'string',
  transitions: {
    start: storeUntilExpiry<TotpEnrolment>(),
    get: readUnexpired<TotpEnrolment>(),
    finish: (doc: TotpEnrolment | undefined) => ({ doc: undefined, result: doc ?? null }),
  },
});

export interface SecondFactorChallenge extends UserDocument {
  /**
   * The key (hash) of the login transaction it belongs to: the document is stored under it and it is checked again
   * on use. Never the raw transaction id, a bearer secret of the browser's cookie.
   */
  txKey: string;
  /** What the first factor was (`pwd`). */
  amr: string[];
}

/** How long the second-factor page waits after the password. */
export const SECOND_FACTOR_SECONDS = 5 * 60;

/** Keyed by the login transaction's key: the password was right, the second factor is still owed. */
export const secondFactorChallenges = defineMachine({
  name: 'second-factor',
  validate: (d: unknown): d is SecondFactorChallenge =>
    isUserDocument(d) &&
    typeof d.txKey === 'string' &&
    Array.isArray(d.amr) &&
    d.amr.every((m) => typeof m === 'string'),
  transitions: {
    begin: storeUntilExpiry<SecondFactorChallenge>(),
    get: readUnexpired<SecondFactorChallenge>(),
    /** Taken once, when the second factor is accepted: one password, one session. */
    complete: (doc: SecondFactorChallenge | undefined, txKey: string, now: number) =>
      doc && doc.txKey === txKey && doc.expiresAt > sec(now) ? { doc: undefined, result: doc } : { doc, result: null },
  },
});

export interface WebAuthnChallenge extends UserDocument {
  /** base64url, as sent in the options. */
  challenge: string;
}

export const WEBAUTHN_CHALLENGE_SECONDS = 5 * 60;

/**
 * WebAuthn ceremony challenges, single use: keyed `register:<session key>` or `authenticate:<transaction key>`, so
 * a challenge belongs to the browser session or login that asked for it. `take` hands it out once, whatever the
 * ceremony's outcome: a response can never be verified against the same challenge twice.
 */
export const webauthnChallenges = defineMachine({
  name: 'webauthn-challenge',
  validate: (d: unknown): d is WebAuthnChallenge => isUserDocument(d) && typeof d.challenge === 'string',
  transitions: {
    put: storeUntilExpiry<WebAuthnChallenge>(),
    take: (doc: WebAuthnChallenge | undefined, _args: undefined, now: number) => ({
      doc: undefined,
      result: doc && doc.expiresAt > sec(now) ? doc : null,
    }),
  },
});

export const MFA_MACHINES = [totpReplay, totpEnrolments, secondFactorChallenges, webauthnChallenges] as const;
