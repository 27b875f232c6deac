/**
 * Brute force against one account: failed sign-ins per account, failed MFA challenges per account, and a
 * successful sign-in right after a run of failures (the guess that worked). The account is named as in
 * subjects.ts.
 */
import type { MonitorEvent } from '../../events/domain/decode.js';
import * as keyed from '../../windows/domain/keyed-state.js';
import { mediumThenHigh } from './config.js';
import { defineDetector } from './define.js';
import type { Finding } from './finding.js';
import * as signals from './signals.js';
import { accountOf, SIGN_IN_FAILURES, type Subject } from './subjects.js';

export interface BruteForceConfig {
  /** Failed and throttled sign-ins per account. */
  signIn: signals.CountSignalConfig;
  /** Failed MFA challenges per account (a 6-digit code has only 10^6 values). */
  mfa: signals.CountSignalConfig;
  /** A success after at least `signIn.tiers[0].count` failures within the window is reported (high). */
  successAfterFailures: { enabled: boolean };
  limits: keyed.KeyedLimits;
}

/**
 * 10 failures in 15 minutes: Microsoft Entra smart lockout's default threshold is 10, and the Windows security
 * baseline locks after 10 bad passwords within 15 minutes; both well inside the hard limits of NIST SP 800-63B
 * §5.2.2 (at most 100 consecutive failures) and OWASP ASVS 2.2.1 (at most 100 per hour). A person mistyping stops
 * after a handful. 50 in the window is beyond any human pattern (high). MFA: 5 failed codes in 15 minutes, the
 * attempt limit commonly applied to OTP entry; 20 is a guessing run (high).
 */
export const BRUTE_FORCE_DEFAULTS: BruteForceConfig = {
  signIn: {
    windowMs: 15 * 60_000,
    buckets: 15,
    tiers: mediumThenHigh(10, 50),
  },
  mfa: {
    windowMs: 15 * 60_000,
    buckets: 15,
    tiers: mediumThenHigh(5, 20),
  },
  successAfterFailures: { enabled: true },
  limits: { maxKeys: 20_000, idleMs: 60 * 60_000 },
};

interface AccountState {
  signIn?: signals.CountSignalState;
  mfa?: signals.CountSignalState;
}

export type BruteForceState = keyed.KeyedState<AccountState>;

const ID = 'brute_force';
const SIGNALS = {
  signIn: { kind: 'brute_force.account', what: 'failed sign-ins for one account' },
  mfa: { kind: 'brute_force.mfa', what: 'failed MFA challenges for one account' },
} as const;

function countFailure(
  state: BruteForceState,
  account: Subject,
  event: MonitorEvent,
  config: BruteForceConfig,
  now: number,
  signal: keyof typeof SIGNALS,
): Finding | undefined {
  const c = config[signal];
  const acc = keyed.touchKeyed(
    state,
    account.key,
    signals.eventTime(event, now),
    config.limits,
    (): AccountState => ({}),
  );
  const s = acc[signal] ?? signals.newCountSignal(c);
  acc[signal] = s;
  const r = signals.stepCount(s, event, c, now);
  if (!r.fire) return undefined;
  return signals.thresholdFinding({
    detector: ID,
    ...SIGNALS[signal],
    subject: account.subject,
    event,
    value: r.value,
    tier: r.fire,
    windowMs: c.windowMs,
    valueName: 'failures',
    eventIds: s.ids,
  });
}

function successAfterFailures(
  state: BruteForceState,
  account: Subject,
  event: MonitorEvent,
  config: BruteForceConfig,
  now: number,
) {
  const acc = keyed.getKeyed(state, account.key);
  const at = signals.eventTime(event, now);
  const failures = signals.peekCount(acc?.signIn, config.signIn, at);
  const first = config.signIn.tiers[0];
  if (!acc?.signIn || !first || failures < first.count) return undefined;
  const finding = signals.makeFinding({
    detector: ID,
    kind: 'brute_force.success_after_failures',
    severity: 'high',
    subject: account.subject,
    summary: `successful sign-in after ${failures} failures within ${signals.describeDuration(config.signIn.windowMs)}`,
    event,
    eventIds: [...acc.signIn.ids, event.eventId],
    evidence: { failures, ...(event.ip ? { ip: event.ip } : {}) },
  });
  // The run is over: a later success must not be reported again for the same failures.
  acc.signIn = signals.newCountSignal(config.signIn);
  return finding;
}

function observe(state: BruteForceState, event: MonitorEvent, config: BruteForceConfig, now: number) {
  const account = accountOf(event);
  let finding: Finding | undefined;
  if (!account) finding = undefined;
  else if (SIGN_IN_FAILURES.has(event.type)) finding = countFailure(state, account, event, config, now, 'signIn');
  else if (event.type === 'mfa.challenge_failed') finding = countFailure(state, account, event, config, now, 'mfa');
  else if (event.type === 'user.login_succeeded' && config.successAfterFailures.enabled)
    finding = successAfterFailures(state, account, event, config, now);
  return { state, findings: finding ? [finding] : [] };
}

export const bruteForce = defineDetector(ID, BRUTE_FORCE_DEFAULTS, {
  description: 'Failed sign-ins and MFA challenges per account, and a success right after a run of failures',
  check(c) {
    signals.checkCountSignal(c.signIn, 'signIn');
    signals.checkCountSignal(c.mfa, 'mfa');
  },
  initialState: () => keyed.emptyKeyed<AccountState>(),
  observe,
  keyedMaps: (state) => [state],
});
