/**
 * The login transaction: the validated authorization request, parked while the user signs in and consents.
 *
 * Its id is 256 random bits, held only in the `login` cookie (HttpOnly, SameSite=Lax, `__Host-`), and the CSRF
 * tokens of the sign-in and consent forms are bound to it. The store keeps the transaction for a short time and
 * consumes it when the code is issued: one transaction, one code, and a page reloaded afterwards cannot replay
 * the request. A transaction that is expired, unknown, or not the one the cookie names ends with an error
 * page (the client's request cannot be resumed safely), never a redirect to an unvalidated URI.
 */
import { hashSecret, randomToken } from '../../../../../shared/crypto.js';
import type { AuthorizationRequest } from '../../authorize/domain/authorization-request.js';

export const LOGIN_TRANSACTION_TTL_SECONDS = 600;

export interface LoginTransaction {
  id: string;
  request: AuthorizationRequest;
  /** Seconds. */
  createdAt: number;
  expiresAt: number;
}

const TRANSACTION_ID = /^[A-Za-z0-9_-]{43}$/;

export function newLoginTransaction(request: AuthorizationRequest, now: number): LoginTransaction {
  return { id: randomToken(32), request, createdAt: now, expiresAt: now + LOGIN_TRANSACTION_TTL_SECONDS };
}

export function transactionKey(id: string): Promise<string> {
  return hashSecret(id);
}

/** The transaction id a cookie or form carries, when it is well formed. */
export function parseTransactionId(value: unknown): string | undefined {
  return typeof value === 'string' && TRANSACTION_ID.test(value) ? value : undefined;
}

export type TransactionCheck = { ok: true } | { ok: false; reason: 'missing' | 'expired' | 'mismatch' };

/** Checks a stored transaction against the id in the browser's cookie. */
export function checkTransaction(
  tx: LoginTransaction | undefined,
  cookieId: string | undefined,
  now: number,
): TransactionCheck {
  if (!tx || cookieId === undefined) return { ok: false, reason: 'missing' };
  if (tx.id !== cookieId) return { ok: false, reason: 'mismatch' };
  if (now >= tx.expiresAt) return { ok: false, reason: 'expired' };
  return { ok: true };
}
