/**
 * The two ways a state operation fails. Neither ever hides a write: when one is thrown, the caller must assume
 * nothing happened, except for `StateUnavailableError` with reason `unreachable`/`timeout`, after which the
 * operation may or may not have been applied (the answer was lost), exactly as with any remote write.
 */
import { ProblemError } from '../errors.js';

export type StateUnavailableReason = 'unreachable' | 'timeout' | 'contended';

/**
 * The store could not be used now: unreachable, too slow, or too contended to settle within its retry budget.
 * A 503 (the app answers it as such, or `temporarily_unavailable` on OAuth endpoints); retrying later is sound.
 */
export class StateUnavailableError extends ProblemError {
  readonly reason: StateUnavailableReason;
  constructor(reason: StateUnavailableReason, detail: string, options: { cause?: unknown } = {}) {
    // The detail reaches clients; it names no key (keys can be derived from credentials).
    super(
      'ERR_DEPENDENCY_UNAVAILABLE',
      503,
      'Service Unavailable',
      `state store ${detail}`,
      {},
      { 'retry-after': '1' },
    );
    this.name = 'StateUnavailableError';
    this.reason = reason;
    if (options.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

export type StateFaultCode =
  | 'ERR_STATE_CORRUPT'
  | 'ERR_STATE_TRANSITION_FAILED'
  | 'ERR_STATE_TOO_LARGE'
  | 'ERR_STATE_UNKNOWN_OPERATION';

/**
 * A bug or tampered storage, not a transient condition: a stored document that is malformed or fails its
 * machine's `validate`, a transition that threw or returned something unstorable, a document over the size
 * limit, an operation the store does not know. Deliberately not a PlatformError: the app answers 500 with an
 * error id and logs it, so an operator sees it.
 */
export class StateFault extends Error {
  readonly code: StateFaultCode;
  constructor(code: StateFaultCode, message: string, options: { cause?: unknown } = {}) {
    super(message);
    this.name = 'StateFault';
    this.code = code;
    if (options.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}
