import { describe, expect, it } from 'vitest';
import { backoffCeilingMs, parseRetryAfter, RETRY_DEFAULTS, retryDelayMs } from '../src/webhooks/domain/backoff.js';
import {
  admitDelivery,
  BREAKER_DEFAULTS,
  type BreakerState,
  CLOSED,
  recordOutcome,
} from '../src/webhooks/domain/circuit-breaker.js';
import {
  type AttemptResult,
  admit,
  afterAttempt,
  type Delivery,
  deadLetterForDisabledEndpoint,
  newDelivery,
  replayDeadLetter,
} from '../src/webhooks/domain/delivery.js';
import { Prng } from './support/prng.js';

const H = 3_600_000;
const ok: AttemptResult = { kind: 'response', status: 204, durationMs: 40 };
const fail: AttemptResult = { kind: 'response', status: 503, durationMs: 12, body: 'down for maintenance' };

describe('backoff with full jitter', () => {
  it('doubles its ceiling from the base up to the cap; the defaults span about two days of ceilings', () => {
    expect([1, 2, 3].map((n) => backoffCeilingMs(n, RETRY_DEFAULTS))).toEqual([10_000, 20_000, 40_000]);
    expect(backoffCeilingMs(14, RETRY_DEFAULTS)).toBe(12 * H);
    expect(backoffCeilingMs(1000, RETRY_DEFAULTS)).toBe(12 * H);
    let total = 0;
    for (let n = 1; n < RETRY_DEFAULTS.maxAttempts; n++) total += backoffCeilingMs(n, RETRY_DEFAULTS);
    expect(total / H).toBeGreaterThan(40);
    expect(total / H).toBeLessThan(50);
  });

  it('draws uniformly over [0, ceiling]', () => {
    const rng = new Prng(42);
    const ceiling = backoffCeilingMs(5, RETRY_DEFAULTS);
    const draws = Array.from({ length: 20_000 }, () => retryDelayMs(5, RETRY_DEFAULTS, rng.next));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThanOrEqual(ceiling);
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    expect(Math.abs(mean / ceiling - 0.5)).toBeLessThan(0.01);
    const lowQuarter = draws.filter((d) => d < ceiling / 4).length / draws.length;
    expect(Math.abs(lowQuarter - 0.25)).toBeLessThan(0.015);
    expect(retryDelayMs(5, RETRY_DEFAULTS, () => 0)).toBe(0);
    expect(retryDelayMs(5, RETRY_DEFAULTS, () => 0.999999999)).toBe(ceiling);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:05:00 GMT', now)).toBe(300_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    for (const bad of [null, undefined, '', 'soon', '-5', '1.5']) expect(parseRetryAfter(bad, now)).toBeNull();
  });
});

describe('circuit breaker', () => {
  const P = BREAKER_DEFAULTS;

  it('opens after consecutive failures, half-opens for one trial after the cool-down, closes on success', () => {
    let b: BreakerState = CLOSED;
    for (let i = 0; i < 4; i++) b = recordOutcome(b, false, i, P);
    expect(b).toEqual({ state: 'closed', failures: 4 });
    b = recordOutcome(b, true, 4, P);
    expect(b).toEqual(CLOSED); // a success resets the run
    for (let i = 0; i < 5; i++) b = recordOutcome(b, false, 100 + i, P);
    expect(b).toEqual({ state: 'open', until: 104 + 60_000, openMs: 60_000 });
    expect(admitDelivery(b, 1000, P)).toEqual({ allowed: false, breaker: b, retryAt: 60_104 });
    const trial = admitDelivery(b, 60_104, P);
    expect(trial).toMatchObject({ allowed: true, trial: true, breaker: { state: 'half-open', trialSince: 60_104 } });
    // Only one trial at a time.
    expect(admitDelivery(trial.breaker, 60_105, P)).toMatchObject({
      allowed: false,
      retryAt: 60_104 + P.trialTimeoutMs,
    });
    expect(recordOutcome(trial.breaker, true, 60_200, P)).toEqual(CLOSED);
  });

  it('doubles the cool-down when the trial fails, up to the maximum, and retries a lost trial', () => {
    let b: BreakerState = { state: 'open', until: 0, openMs: 60_000 };
    const opened: number[] = [];
    for (let i = 0; i < 8; i++) {
      const t = admitDelivery(b, i * 10 * H, P);
      expect(t.allowed).toBe(true);
      b = recordOutcome(t.breaker, false, i * 10 * H, P);
      if (b.state === 'open') opened.push(b.openMs);
    }
    expect(opened).toEqual([120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000, 3_600_000]);
    const stuck: BreakerState = { state: 'half-open', trialSince: 0, openMs: 60_000 };
    expect(admitDelivery(stuck, P.trialTimeoutMs, P)).toMatchObject({ allowed: true, trial: true });
  });
});

describe('delivery plan', () => {
  const R = RETRY_DEFAULTS;
  const P = BREAKER_DEFAULTS;
  const rng = new Prng(7);
  const start = () => newDelivery({ id: 'd1', endpointId: 'ep1', msgId: 'msg_a1_c1', now: 0 });

  it('delivers on 2xx and records the attempt', () => {
    const r = afterAttempt(start(), CLOSED, ok, 1000, R, P, rng.next);
    expect(r.delivery).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(r.record).toEqual({
      deliveryId: 'd1',
      endpointId: 'ep1',
      attempt: 1,
      at: 1000,
      durationMs: 40,
      outcome: 'delivered',
      status: 204,
    });
    expect(r.breaker).toEqual(CLOSED);
  });

  it('retries failures with backoff, then dead-letters after the last attempt, recording every attempt', () => {
    let d: Delivery = start();
    let breaker: BreakerState = CLOSED;
    const records = [];
    let now = 0;
    const results: AttemptResult[] = [
      fail,
      { kind: 'timeout', durationMs: 15_000 },
      { kind: 'network_error', message: 'connection refused', durationMs: 3 },
    ];
    while (d.status === 'pending') {
      const a = admit(d, breaker, now, R, { ...P, failureThreshold: 1000 });
      expect(a.send).toBe(true);
      const r = afterAttempt(
        d,
        a.breaker,
        results[d.attempts % 3] as AttemptResult,
        now,
        R,
        { ...P, failureThreshold: 1000 },
        rng.next,
      );
      records.push(r.record);
      ({ delivery: d, breaker } = r);
      if (d.status === 'pending') {
        expect(d.nextAttemptAt - now).toBeLessThanOrEqual(backoffCeilingMs(d.attempts, R));
        now = d.nextAttemptAt;
      }
    }
    expect(d).toMatchObject({ status: 'dead', deadReason: 'max_attempts', attempts: R.maxAttempts });
    expect(records.map((r) => r.attempt)).toEqual(Array.from({ length: R.maxAttempts }, (_, i) => i + 1));
    expect(records.slice(0, 3).map((r) => [r.outcome, r.status, r.detail])).toEqual([
      ['http_error', 503, 'down for maintenance'],
      ['timeout', undefined, undefined],
      ['network_error', undefined, 'connection refused'],
    ]);
    expect(records[records.length - 1]?.nextAttemptAt).toBeUndefined();
  });

  it('treats redirects as failures and honours a longer Retry-After', () => {
    const r = afterAttempt(start(), CLOSED, { kind: 'response', status: 302, durationMs: 5 }, 0, R, P, () => 0);
    expect(r.delivery.status).toBe('pending');
    const slow = afterAttempt(
      start(),
      CLOSED,
      { kind: 'response', status: 429, retryAfter: '600', durationMs: 5 },
      0,
      R,
      P,
      () => 0,
    );
    expect(slow.delivery.nextAttemptAt).toBe(600_000);
    const huge = afterAttempt(
      start(),
      CLOSED,
      { kind: 'response', status: 503, retryAfter: '9999999', durationMs: 5 },
      0,
      R,
      P,
      () => 0,
    );
    expect(huge.delivery.nextAttemptAt).toBe(R.capMs);
  });

  it('disables the endpoint and dead-letters on 410 Gone, without tripping the breaker', () => {
    const r = afterAttempt(start(), CLOSED, { kind: 'response', status: 410, durationMs: 5 }, 0, R, P, rng.next);
    expect(r).toMatchObject({
      disableEndpoint: true,
      breaker: CLOSED,
      delivery: { status: 'dead', deadReason: 'endpoint_gone' },
    });
    expect(deadLetterForDisabledEndpoint(start())).toMatchObject({ status: 'dead', deadReason: 'endpoint_disabled' });
  });

  it('holds deliveries while the breaker is open without spending their attempts, then lets one trial through', () => {
    let breaker: BreakerState = CLOSED;
    for (let i = 0; i < 5; i++) breaker = afterAttempt(start(), breaker, fail, 0, R, P, rng.next).breaker;
    expect(breaker.state).toBe('open');
    const held = admit(start(), breaker, 1000, R, P);
    expect(held).toMatchObject({ send: false, delivery: { attempts: 0, status: 'pending', nextAttemptAt: 60_000 } });
    const first = admit(start(), breaker, 60_000, R, P);
    expect(first).toMatchObject({ send: true, breaker: { state: 'half-open' } });
    const second = admit(start(), first.breaker, 60_001, R, P);
    expect(second.send).toBe(false);
  });

  it('dead-letters a message past its maximum age, and replays a dead letter with a fresh budget', () => {
    const old = admit(start(), CLOSED, R.maxAgeMs + 1, R, P);
    expect(old).toMatchObject({ send: false, delivery: { status: 'dead', deadReason: 'max_age' } });
    const dead = (old as { delivery: Delivery }).delivery;
    const again = replayDeadLetter(dead, 5 * H);
    expect(again).toEqual({
      id: 'd1',
      endpointId: 'ep1',
      msgId: 'msg_a1_c1',
      createdAt: 5 * H,
      attempts: 0,
      status: 'pending',
      nextAttemptAt: 5 * H,
    });
  });
});
