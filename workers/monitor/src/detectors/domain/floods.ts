/**
 * Floods: rate-limit storms (many refusals per address, per client, or overall) and registration floods (many
 * clients registered per address or overall).
 *
 * `rate_limit.exceeded` events are sampled by the emitter (one per bucket per interval, with the refusals in
 * between in `details.suppressed`), so each counts 1 + suppressed.
 */
import { detailCount, type MonitorEvent } from '../../events/domain/decode.js';
import * as keyed from '../../windows/domain/keyed-state.js';
import { checkInteger, mediumThenHigh } from './config.js';
import { defineDetector } from './define.js';
import type { Finding } from './finding.js';
import * as signals from './signals.js';

export interface FloodsConfig {
  rateLimitPerAddress: signals.CountSignalConfig;
  rateLimitPerClient: signals.CountSignalConfig;
  rateLimitOverall: signals.CountSignalConfig;
  registrationPerAddress: signals.CountSignalConfig;
  registrationOverall: signals.CountSignalConfig;
  /** Event types that count as a registration. */
  registrationTypes: string[];
  /** Cap on one sampled event's weight: a defective `suppressed` value cannot make a count absurd. */
  maxEventWeight: number;
  limits: keyed.KeyedLimits;
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
    tiers: mediumThenHigh(100, 1000),
  },
  rateLimitPerClient: {
    windowMs: 5 * 60_000,
    buckets: 10,
    tiers: mediumThenHigh(100, 1000),
  },
  rateLimitOverall: { windowMs: 5 * 60_000, buckets: 10, tiers: [{ count: 2000, severity: 'high' }] },
  registrationPerAddress: {
    windowMs: 60 * 60_000,
    buckets: 12,
    tiers: mediumThenHigh(10, 100),
  },
  registrationOverall: { windowMs: 60 * 60_000, buckets: 12, tiers: [{ count: 50, severity: 'high' }] },
  registrationTypes: ['client.registered'],
  maxEventWeight: 10_000,
  limits: { maxKeys: 20_000, idleMs: 2 * 60 * 60_000 },
};

export interface FloodsState {
  rateLimitAddresses: keyed.KeyedState<signals.CountSignalState>;
  rateLimitClients: keyed.KeyedState<signals.CountSignalState>;
  rateLimitOverall: signals.CountSignalState;
  registrationAddresses: keyed.KeyedState<signals.CountSignalState>;
  registrationOverall: signals.CountSignalState;
}

const COUNT_SIGNALS = [
  'rateLimitPerAddress',
  'rateLimitPerClient',
  'rateLimitOverall',
  'registrationPerAddress',
  'registrationOverall',
] as const;

const ID = 'floods';

interface Step {
  kind: string;
  subject: Record<string, string>;
  what: string;
  weight: number;
}

function step(
  findings: Finding[],
  s: signals.CountSignalState,
  event: MonitorEvent,
  c: signals.CountSignalConfig,
  now: number,
  how: Step,
) {
  const r = signals.stepCount(s, event, c, now, how.weight);
  if (!r.fire) return;
  findings.push(
    signals.thresholdFinding({
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

/**
 * What one event counts towards: per subject (a keyed map of the state, the subject's field on the event) or
 * overall, with the signal's configuration, the finding's kind and what the summary calls the count.
 */
interface Count {
  config: (typeof COUNT_SIGNALS)[number];
  kind: string;
  where:
    | { map: 'rateLimitAddresses' | 'rateLimitClients' | 'registrationAddresses'; field: 'ip' | 'client_id' }
    | { overall: 'rateLimitOverall' | 'registrationOverall' };
  what: (base: string) => string;
}

const RATE_LIMIT_COUNTS: Count[] = [
  {
    config: 'rateLimitPerAddress',
    kind: 'flood.rate_limit_address',
    where: { map: 'rateLimitAddresses', field: 'ip' },
    what: (base) => `${base} for one address`,
  },
  {
    config: 'rateLimitPerClient',
    kind: 'flood.rate_limit_client',
    where: { map: 'rateLimitClients', field: 'client_id' },
    what: (base) => `${base} for one client`,
  },
  {
    config: 'rateLimitOverall',
    kind: 'flood.rate_limit_overall',
    where: { overall: 'rateLimitOverall' },
    what: (base) => base,
  },
];

const REGISTRATION_COUNTS: Count[] = [
  {
    config: 'registrationPerAddress',
    kind: 'flood.registration_address',
    where: { map: 'registrationAddresses', field: 'ip' },
    what: () => 'registrations from one address',
  },
  {
    config: 'registrationOverall',
    kind: 'flood.registration_overall',
    where: { overall: 'registrationOverall' },
    what: () => 'registrations',
  },
];

function observe(state: FloodsState, event: MonitorEvent, config: FloodsConfig, now: number) {
  const findings: Finding[] = [];
  const at = signals.eventTime(event, now);
  const count = (counts: Count[], base: string, weight: number) => {
    for (const { config: name, kind, where, what } of counts) {
      const c = config[name];
      let s: signals.CountSignalState;
      let subject: Record<string, string>;
      if ('overall' in where) {
        s = state[where.overall];
        subject = { scope: 'overall' };
      } else {
        const id = where.field === 'ip' ? event.ip : event.clientId;
        if (!id) continue;
        s = keyed.touchKeyed(state[where.map], id, at, config.limits, () => signals.newCountSignal(c));
        subject = { [where.field]: id };
      }
      step(findings, s, event, c, now, { kind, subject, what: what(base), weight });
    }
  };
  if (event.type === 'rate_limit.exceeded') {
    const weight = Math.min(1 + (detailCount(event, 'suppressed') ?? 0), config.maxEventWeight);
    const endpoint = typeof event.details.endpoint === 'string' ? event.details.endpoint.slice(0, 32) : undefined;
    count(RATE_LIMIT_COUNTS, `rate-limit refusals${endpoint ? ` (${endpoint})` : ''}`, weight);
  } else if (config.registrationTypes.includes(event.type) && event.outcome === 'success') {
    count(REGISTRATION_COUNTS, 'registrations', 1);
  }
  return { state, findings };
}

export const floods = defineDetector(ID, FLOODS_DEFAULTS, {
  description: 'Rate-limit storms per address, per client and overall; registration floods per address and overall',
  check(c) {
    for (const k of COUNT_SIGNALS) signals.checkCountSignal(c[k], k);
    checkInteger(c.maxEventWeight, 'maxEventWeight', 1, 1_000_000);
  },
  initialState: () => ({
    rateLimitAddresses: keyed.emptyKeyed(),
    rateLimitClients: keyed.emptyKeyed(),
    rateLimitOverall: signals.newCountSignal(FLOODS_DEFAULTS.rateLimitOverall),
    registrationAddresses: keyed.emptyKeyed(),
    registrationOverall: signals.newCountSignal(FLOODS_DEFAULTS.registrationOverall),
  }),
  observe,
  keyedMaps: (state) => [state.rateLimitAddresses, state.rateLimitClients, state.registrationAddresses],
});
