/**
 * One webhook message to one endpoint, from first attempt to delivered or dead-lettered. Pure: the sender does
 * the HTTP request (POST, no redirects followed, 15 s timeout) and reports what happened; `afterAttempt` says
 * what comes next and produces the attempt record to store.
 *
 * Outcome rules (Standard Webhooks): 2xx delivered; 410 Gone disables the endpoint and dead-letters the message;
 * every other status, a timeout or a network error is a failure retried with backoff. 3xx is a failure too:
 * following redirects would let a receiver point the monitor at another address.
 */
import { retryDelayMs, parseRetryAfter, type RetryPolicy } from './backoff.js';
import { admitDelivery, type BreakerPolicy, type BreakerState, recordOutcome } from './circuit-breaker.js';

export const REQUEST_TIMEOUT_MS = 15_000;
const SNIPPET = 512;

export interface Delivery {
  id: string;
  endpointId: string;
  msgId: string;
  createdAt: number;
  /** Attempts made so far. */
  attempts: number;
  status: 'pending' | 'delivered' | 'dead';
  nextAttemptAt: number;
  deadReason?: 'max_attempts' | 'max_age' | 'endpoint_gone' | 'endpoint_disabled';
}

export type AttemptResult =
  | { kind: 'response'; status: number; retryAfter?: string | null; body?: string; durationMs: number }
  | { kind: 'timeout'; durationMs: number }
  | { kind: 'network_error'; message: string; durationMs: number };

export interface AttemptRecord {
  deliveryId: string;
  endpointId: string;
  attempt: number;
  at: number;
  durationMs: number;
  outcome: 'delivered' | 'http_error' | 'timeout' | 'network_error';
  status?: number;
  /** The start of the response body or error message, for the operator. */
  detail?: string;
  nextAttemptAt?: number;
}

export function newDelivery(args: { id: string; endpointId: string; msgId: string; now: number }): Delivery {
  const { id, endpointId, msgId, now } = args;
  return { id, endpointId, msgId, createdAt: now, attempts: 0, status: 'pending', nextAttemptAt: now };
}

export type Admission =
  | { send: true; breaker: BreakerState }
  | { send: false; delivery: Delivery; breaker: BreakerState };

/**
 * Before sending: the circuit breaker may hold the delivery back (it is rescheduled without spending an
 * attempt), and a message past its maximum age is dead-lettered.
 */
export function admit(
  d: Delivery,
  breaker: BreakerState,
  now: number,
  retry: RetryPolicy,
  policy: BreakerPolicy,
): Admission {
  if (now - d.createdAt > retry.maxAgeMs)
    return { send: false, delivery: { ...d, status: 'dead', deadReason: 'max_age' }, breaker };
  const decision = admitDelivery(breaker, now, policy);
  if (decision.allowed) return { send: true, breaker: decision.breaker };
  return { send: false, delivery: { ...d, nextAttemptAt: decision.retryAt }, breaker: decision.breaker };
}

function classify(result: AttemptResult): { ok: boolean; gone: boolean; outcome: AttemptRecord['outcome'] } {
  if (result.kind === 'timeout') return { ok: false, gone: false, outcome: 'timeout' };
  if (result.kind === 'network_error') return { ok: false, gone: false, outcome: 'network_error' };
  if (result.status >= 200 && result.status < 300) return { ok: true, gone: false, outcome: 'delivered' };
  return { ok: false, gone: result.status === 410, outcome: 'http_error' };
}

export interface AfterAttempt {
  delivery: Delivery;
  breaker: BreakerState;
  record: AttemptRecord;
  /** Set by a 410: the endpoint asked to receive nothing more. */
  disableEndpoint: boolean;
}

/** After an attempt that `admit` allowed: the next state of the delivery and the breaker, and the record. */
export function afterAttempt(
  d: Delivery,
  breaker: BreakerState,
  result: AttemptResult,
  now: number,
  retry: RetryPolicy,
  policy: BreakerPolicy,
  random: () => number,
): AfterAttempt {
  const { ok, gone, outcome } = classify(result);
  const attempt = d.attempts + 1;
  const record: AttemptRecord = {
    deliveryId: d.id,
    endpointId: d.endpointId,
    attempt,
    at: now,
    durationMs: Math.max(0, Math.round(result.durationMs)),
    outcome,
  };
  if (result.kind === 'response') {
    record.status = result.status;
    if (result.body) record.detail = result.body.slice(0, SNIPPET);
  } else if (result.kind === 'network_error') {
    record.detail = result.message.slice(0, SNIPPET);
  }
  // A 410 is the receiver's answer, not a sign of ill health: it does not trip the breaker.
  const nextBreaker = gone ? breaker : recordOutcome(breaker, ok, now, policy);
  let delivery: Delivery;
  if (ok) delivery = { ...d, attempts: attempt, status: 'delivered' };
  else if (gone) delivery = { ...d, attempts: attempt, status: 'dead', deadReason: 'endpoint_gone' };
  else if (attempt >= retry.maxAttempts)
    delivery = { ...d, attempts: attempt, status: 'dead', deadReason: 'max_attempts' };
  else {
    let wait = retryDelayMs(attempt, retry, random);
    const asked = result.kind === 'response' ? parseRetryAfter(result.retryAfter, now) : null;
    if (asked !== null && asked > wait) wait = Math.min(asked, retry.capMs);
    delivery = { ...d, attempts: attempt, nextAttemptAt: now + wait };
    record.nextAttemptAt = delivery.nextAttemptAt;
  }
  return { delivery, breaker: nextBreaker, record, disableEndpoint: gone };
}

/** Deliveries of a disabled endpoint go to the dead-letter list instead of waiting forever. */
export function deadLetterForDisabledEndpoint(d: Delivery): Delivery {
  return d.status === 'pending' ? { ...d, status: 'dead', deadReason: 'endpoint_disabled' } : d;
}

/** An operator replays a dead-lettered message: a fresh budget of attempts, same message id (receivers dedupe). */
export function replayDeadLetter(d: Delivery, now: number): Delivery {
  if (d.status !== 'dead') return d;
  const { deadReason: _reason, ...rest } = d;
  return { ...rest, status: 'pending', attempts: 0, createdAt: now, nextAttemptAt: now };
}
