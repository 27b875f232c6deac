/**
 * Credential stuffing and password spraying: many accounts failing from one address or one network, many
 * addresses failing against one account, and a success from a source already caught doing either (a pair
 * that worked: the account is likely compromised).
 *
 * Many people can share one address (carrier-grade NAT, an office), so an address or network fires only when
 * its sign-ins mostly fail: a shared address also carries the successes of its real users.
 */
import type { MonitorEvent } from '../../events/domain/decode.js';
import * as counter from '../../windows/domain/counter-window.js';
import * as keyed from '../../windows/domain/keyed-state.js';
import { checkDuration, checkInteger, checkRatio, DetectorConfigError, mediumThenHigh } from './config.js';
import { defineDetector } from './define.js';
import type { Finding } from './finding.js';
import * as signals from './signals.js';
import { accountOf, type NetworkPrefixes, networkSubject, SIGN_IN_FAILURES, type Subject } from './subjects.js';

interface SourceSignalConfig extends signals.DistinctSignalConfig {
  /** Fire only when at least this share of the source's sign-ins in the window failed. */
  minFailureRatio: number;
}

export interface CredentialStuffingConfig {
  /** Distinct accounts failing from one address. */
  perAddress: SourceSignalConfig;
  /** Distinct accounts failing from one network (/24, /64 by default): an attacker rotating addresses. */
  perNetwork: SourceSignalConfig & NetworkPrefixes;
  /** Distinct addresses failing against one account: a distributed attack on few accounts. */
  perAccount: signals.DistinctSignalConfig;
  /** A success from an address or network that fired within `memoryMs`. */
  successFromFlagged: { enabled: boolean; memoryMs: number };
  limits: keyed.KeyedLimits;
}

/**
 * One source failing against 10 distinct accounts in 10 minutes is in line with public SIEM spraying rules
 * (Microsoft Sentinel's ASIM rule: more than 15 users in 5 minutes; Google SecOps' community rule: more than 10
 * in 30 minutes); 50 accounts is a stuffing run (high). A network gets double (20) since it aggregates more users.
 * The 0.8 failure ratio keeps shared addresses quiet: real users mostly succeed, while stuffing lists mostly fail
 * (success rates around 1% are commonly reported). Ten addresses failing against one account within an hour is
 * more than one person roaming between networks produces.
 */
export const CREDENTIAL_STUFFING_DEFAULTS: CredentialStuffingConfig = {
  perAddress: {
    windowMs: 10 * 60_000,
    minFailureRatio: 0.8,
    tiers: mediumThenHigh(10, 50),
  },
  perNetwork: {
    windowMs: 10 * 60_000,
    minFailureRatio: 0.8,
    ipv4Prefix: 24,
    ipv6Prefix: 64,
    tiers: mediumThenHigh(20, 100),
  },
  perAccount: {
    windowMs: 60 * 60_000,
    tiers: mediumThenHigh(10, 50),
  },
  successFromFlagged: { enabled: true, memoryMs: 60 * 60_000 },
  limits: { maxKeys: 20_000, idleMs: 2 * 60 * 60_000 },
};

interface SourceState {
  accounts?: signals.DistinctSignalState;
  fail: counter.CounterWindow;
  ok: counter.CounterWindow;
  /** When this source last fired. */
  flaggedAt?: number;
}

export interface CredentialStuffingState {
  addresses: keyed.KeyedState<SourceState>;
  networks: keyed.KeyedState<SourceState>;
  accounts: keyed.KeyedState<signals.DistinctSignalState>;
}

const ID = 'credential_stuffing';
const RATIO_BUCKETS = 10;

function ratioSpec(c: SourceSignalConfig): counter.WindowSpec {
  return { kind: 'bucketed', windowMs: c.windowMs, buckets: RATIO_BUCKETS };
}

function newSource(c: SourceSignalConfig): SourceState {
  return { fail: counter.emptyWindow(ratioSpec(c)), ok: counter.emptyWindow(ratioSpec(c)) };
}

interface SourceStep {
  sources: keyed.KeyedState<SourceState>;
  source: Subject;
  c: SourceSignalConfig;
  kind: string;
  label: string;
}

/** One sign-in seen from a source (an address or a network); returns the finding when the source fires. */
function stepSource(
  step: SourceStep,
  account: Subject,
  event: MonitorEvent,
  limits: keyed.KeyedLimits,
  now: number,
): Finding | undefined {
  const { sources, source, c, kind, label } = step;
  const at = signals.eventTime(event, now);
  const s = keyed.touchKeyed(sources, source.key, at, limits, () => newSource(c));
  const spec = ratioSpec(c);
  const failed = SIGN_IN_FAILURES.has(event.type);
  counter.recordInWindow(failed ? s.fail : s.ok, at, at, spec);
  if (!failed) return undefined;
  s.accounts ??= signals.newDistinctSignal();
  const fails = counter.countWindow(s.fail, at, spec);
  const oks = counter.countWindow(s.ok, at, spec);
  const ratio = fails / Math.max(1, fails + oks);
  const r = signals.stepDistinct(s.accounts, event, account.key, c, now, () => ratio >= c.minFailureRatio);
  if (!r.fire) return undefined;
  s.flaggedAt = at;
  return signals.thresholdFinding({
    detector: ID,
    kind,
    subject: source.subject,
    event,
    value: r.value,
    tier: r.fire,
    windowMs: c.windowMs,
    what: `accounts failed to sign in from one ${label}`,
    valueName: 'accounts',
    eventIds: s.accounts.ids,
    extra: {
      failure_ratio: Math.round(ratio * 1000) / 1000,
      sample_accounts: signals.sampleDistinct(s.accounts, c, at, 5),
    },
  });
}

function observe(state: CredentialStuffingState, event: MonitorEvent, config: CredentialStuffingConfig, now: number) {
  const findings: Finding[] = [];
  const isSignIn = SIGN_IN_FAILURES.has(event.type) || event.type === 'user.login_succeeded';
  const account = accountOf(event);
  if (!isSignIn || !account || !event.ip) return { state, findings };
  const at = signals.eventTime(event, now);
  const network = networkSubject(event.ip, config.perNetwork);
  const address: Subject = { key: event.ip, subject: { ip: event.ip } };

  if (event.type === 'user.login_succeeded' && config.successFromFlagged.enabled) {
    const memory = config.successFromFlagged.memoryMs;
    const byAddress = keyed.getKeyed(state.addresses, address.key)?.flaggedAt;
    const byNetwork = network ? keyed.getKeyed(state.networks, network.key)?.flaggedAt : undefined;
    const flagged = [byAddress, byNetwork].some((t) => t !== undefined && at - t <= memory && at >= t);
    if (flagged) {
      findings.push(
        signals.makeFinding({
          detector: ID,
          kind: 'credential_stuffing.success_from_flagged_source',
          severity: 'critical',
          subject: account.subject,
          summary: 'successful sign-in from a source caught failing against many accounts: likely a valid leaked pair',
          event,
          evidence: { ip: event.ip, ...(network ? { network: network.key } : {}) },
        }),
      );
    }
  }

  const steps: SourceStep[] = [
    {
      sources: state.addresses,
      source: address,
      c: config.perAddress,
      kind: 'credential_stuffing.address',
      label: 'address',
    },
  ];
  if (network)
    steps.push({
      sources: state.networks,
      source: network,
      c: config.perNetwork,
      kind: 'credential_stuffing.network',
      label: 'network',
    });
  for (const step of steps) {
    const f = stepSource(step, account, event, config.limits, now);
    if (f) findings.push(f);
  }

  if (SIGN_IN_FAILURES.has(event.type)) {
    const acc = keyed.touchKeyed(state.accounts, account.key, at, config.limits, signals.newDistinctSignal);
    const r = signals.stepDistinct(acc, event, event.ip, config.perAccount, now);
    if (r.fire) {
      findings.push(
        signals.thresholdFinding({
          detector: ID,
          kind: 'credential_stuffing.distributed',
          subject: account.subject,
          event,
          value: r.value,
          tier: r.fire,
          windowMs: config.perAccount.windowMs,
          what: 'addresses failed to sign in to one account',
          valueName: 'addresses',
          eventIds: acc.ids,
          extra: { sample_addresses: signals.sampleDistinct(acc, config.perAccount, at, 5) },
        }),
      );
    }
  }
  return { state, findings };
}

function checkSource(c: SourceSignalConfig, path: string): void {
  signals.checkDistinctSignal(c, path);
  checkRatio(c.minFailureRatio, `${path}.minFailureRatio`);
  if (c.windowMs % RATIO_BUCKETS !== 0)
    throw new DetectorConfigError(`${path}.windowMs`, `must be a multiple of ${RATIO_BUCKETS}`);
}

export const credentialStuffing = defineDetector(ID, CREDENTIAL_STUFFING_DEFAULTS, {
  description:
    'Many accounts failing from one address or network, many addresses failing against one account, and a success from such a source',
  check(c) {
    checkSource(c.perAddress, 'perAddress');
    checkSource(c.perNetwork, 'perNetwork');
    checkInteger(c.perNetwork.ipv4Prefix, 'perNetwork.ipv4Prefix', 8, 32);
    checkInteger(c.perNetwork.ipv6Prefix, 'perNetwork.ipv6Prefix', 16, 128);
    signals.checkDistinctSignal(c.perAccount, 'perAccount');
    checkDuration(c.successFromFlagged.memoryMs, 'successFromFlagged.memoryMs');
  },
  initialState: () => ({ addresses: keyed.emptyKeyed(), networks: keyed.emptyKeyed(), accounts: keyed.emptyKeyed() }),
  observe,
  keyedMaps: (state) => [state.addresses, state.networks, state.accounts],
});
