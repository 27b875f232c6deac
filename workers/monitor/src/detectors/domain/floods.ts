/**
 * Floods: rate-limit storms (many refusals per address, per client, or overall) and registration floods (many
 * clients registered per address or overall).
 *
 * `rate_limit.exceeded` events are sampled by the emitter (one per bucket per interval, with the refusals in
 * between in `details.suppressed`), so each counts 1 + suppressed.
 */
import { detailCount, type MonitorEvent } from '../../events/domain/decode.js';
import {
  emptyKeyed,
  expireKeyed,
  type KeyedLimits,
  type KeyedState,
  touchKeyed,
} from '../../windows/domain/keyed-state.js';
import { checkLimits, checkInteger, mergeConfig } from './config.js';
import type { Detector, Finding } from './finding.js';
import {
  type CountSignalConfig,
  type CountSignalState,
  checkCountSignal,
  eventTime,
  newCountSignal,
  stepCount,
  thresholdFinding,
} from './signals.js';

export interface FloodsConfig {
  rateLimitPerAddress: CountSignalConfig;
  rateLimitPerClient: CountSignalConfig;
  rateLimitOverall: CountSignalConfig;
  registrationPerAddress: CountSignalConfig;
  registrationOverall: CountSignalConfig;
  /** Event types that count as a registration. */
  registrationTypes: string[];
  /** Cap on one sampled event's weight: a defective `suppressed` value cannot make a count absurd. */
  maxEventWeight: number;
  limits: KeyedLimits;
}

/**
 * A client that briefly exceeds its limit collects a few refusals; 100 in 5 minutes from one address or client is
 * sustained pressure against the limiter, 1000 a scripted flood (high). Overall, 2000 refusals in 5 minutes is a
 * platform-wide storm. Registration: legitimate dynamic registration is a handful a day, and the per-address
 * limiter allows bursts of 20, so 10 in an hour from one address (medium), 100 (high), and 50 overall (high) mark
 * automated client creation (OWASP OAT-019).
 */
export const FLOODS_DEFAULTS: FloodsConfig = {
  rateLimitPerAddress: {
    windowMs: 5 * 60_000,
    buckets: 10,
    tiers: [
      { count: 100, severity: 'medium' },
      { count: 1000, severity: 'high' },
    ],
  },
  rateLimitPerClient: {
    windowMs: 5 * 60_000,
    buckets: 10,
    tiers: [
      { count: 100, severity: 'medium' },
      { count: 1000, severity: 'high' },
    ],
  },
  rateLimitOverall: { windowMs: 5 * 60_000, buckets: 10, tiers: [{ count: 2000, severity: 'high' }] },
  registrationPerAddress: {
    windowMs: 60 * 60_000,
    buckets: 12,
    tiers: [
      { count: 10, severity: 'medium' },
      { count: 100, severity: 'high' },
    ],
  },
  registrationOverall: { windowMs: 60 * 60_000, buckets: 12, tiers: [{ count: 50, severity: 'high' }] },
  registrationTypes: ['client.registered'],
  maxEventWeight: 10_000,
  limits: { maxKeys: 20_000, idleMs: 2 * 60 * 60_000 },
};

export interface FloodsState {
  rateLimitAddresses: KeyedState<CountSignalState>;
  rateLimitClients: KeyedState<CountSignalState>;
  rateLimitOverall: CountSignalState;
  registrationAddresses: KeyedState<CountSignalState>;
  registrationOverall: CountSignalState;
}

const ID = 'floods';

interface Step {
  kind: string;
  subject: Record<string, string>;
  what: string;
  weight: number;
}

function step(
  findings: Finding[],
  s: CountSignalState,
  event: MonitorEvent,
  c: CountSignalConfig,
  now: number,
  how: Step,
) {
  const r = stepCount(s, event, c, now, how.weight);
  if (!r.fire) return;
  findings.push(
    thresholdFinding({
      detector: ID,
      kind: how.kind,
      subject: how.subject,
      event,
      value: r.value,
      tier: r.fire,
      windowMs: c.windowMs,
      what: how.what,
      valueName: 'count',
      eventIds: s.ids,
    }),
  );
}

function observe(state: FloodsState, event: MonitorEvent, config: FloodsConfig, now: number) {
  const findings: Finding[] = [];
  const at = eventTime(event, now);
  const keyed = (ks: KeyedState<CountSignalState>, key: string, c: CountSignalConfig) =>
    touchKeyed(ks, key, at, config.limits, () => newCountSignal(c));

  if (event.type === 'rate_limit.exceeded') {
    const weight = Math.min(1 + (detailCount(event, 'suppressed') ?? 0), config.maxEventWeight);
    const endpoint = typeof event.details.endpoint === 'string' ? event.details.endpoint.slice(0, 32) : undefined;
    const what = `rate-limit refusals${endpoint ? ` (${endpoint})` : ''}`;
    if (event.ip) {
      const s = keyed(state.rateLimitAddresses, event.ip, config.rateLimitPerAddress);
      step(findings, s, event, config.rateLimitPerAddress, now, {
        kind: 'flood.rate_limit_address',
        subject: { ip: event.ip },
        what: `${what} for one address`,
        weight,
      });
    }
    if (event.clientId) {
      const s = keyed(state.rateLimitClients, event.clientId, config.rateLimitPerClient);
      step(findings, s, event, config.rateLimitPerClient, now, {
        kind: 'flood.rate_limit_client',
        subject: { client_id: event.clientId },
        what: `${what} for one client`,
        weight,
      });
    }
    step(findings, state.rateLimitOverall, event, config.rateLimitOverall, now, {
      kind: 'flood.rate_limit_overall',
      subject: { scope: 'overall' },
      what,
      weight,
    });
  } else if (config.registrationTypes.includes(event.type) && event.outcome === 'success') {
    if (event.ip) {
      const s = keyed(state.registrationAddresses, event.ip, config.registrationPerAddress);
      step(findings, s, event, config.registrationPerAddress, now, {
        kind: 'flood.registration_address',
        subject: { ip: event.ip },
        what: 'registrations from one address',
        weight: 1,
      });
    }
    step(findings, state.registrationOverall, event, config.registrationOverall, now, {
      kind: 'flood.registration_overall',
      subject: { scope: 'overall' },
      what: 'registrations',
      weight: 1,
    });
  }
  return { state, findings };
}

export const floods: Detector<FloodsState, FloodsConfig> = {
  id: ID,
  description: 'Rate-limit storms per address, per client and overall; registration floods per address and overall',
  defaults: FLOODS_DEFAULTS,
  parseConfig(input) {
    const c = mergeConfig(FLOODS_DEFAULTS, input);
    for (const k of [
      'rateLimitPerAddress',
      'rateLimitPerClient',
      'rateLimitOverall',
      'registrationPerAddress',
      'registrationOverall',
    ] as const)
      checkCountSignal(c[k], k);
    checkInteger(c.maxEventWeight, 'maxEventWeight', 1, 1_000_000);
    checkLimits(c.limits);
    return c;
  },
  status: () => ({ active: true }),
  initialState: () => ({
    rateLimitAddresses: emptyKeyed(),
    rateLimitClients: emptyKeyed(),
    rateLimitOverall: newCountSignal(FLOODS_DEFAULTS.rateLimitOverall),
    registrationAddresses: emptyKeyed(),
    registrationOverall: newCountSignal(FLOODS_DEFAULTS.registrationOverall),
  }),
  observe,
  compact(state, config, now) {
    expireKeyed(state.rateLimitAddresses, now, config.limits);
    expireKeyed(state.rateLimitClients, now, config.limits);
    expireKeyed(state.registrationAddresses, now, config.limits);
    return state;
  },
};
