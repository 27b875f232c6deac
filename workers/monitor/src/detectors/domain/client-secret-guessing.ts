/**
 * Client secret guessing: failed client authentications per client_id and per address, and one address
 * trying many client ids (enumeration; an unknown id arrives as `details.presented_client_id`).
 *
 * A machine client holding its secret never fails, so repeated failures are either guessing or a client left
 * with a rotated-out secret; both deserve an alert, and the token endpoint already charges failures extra.
 */
import { detailString, type MonitorEvent } from '../../events/domain/decode.js';
import * as keyed from '../../windows/domain/keyed-state.js';
import { mediumThenHigh } from './config.js';
import { defineDetector } from './define.js';
import type { Finding } from './finding.js';
import * as signals from './signals.js';

export interface ClientSecretGuessingConfig {
  perClient: signals.CountSignalConfig;
  perAddress: signals.CountSignalConfig;
  /** Distinct client ids failing from one address. */
  clientIdsPerAddress: signals.DistinctSignalConfig;
  limits: keyed.KeyedLimits;
}

/**
 * Per client: 10 failures in 10 minutes (the account-lockout scale; a correctly configured client has none),
 * 50 is a guessing loop (high). Per address: 20 and 200, since one address may host several clients. Five
 * distinct client ids failing from one address in 10 minutes is enumeration: a deployment runs one or two.
 */
export const CLIENT_SECRET_GUESSING_DEFAULTS: ClientSecretGuessingConfig = {
  perClient: {
    windowMs: 10 * 60_000,
    buckets: 10,
    tiers: mediumThenHigh(10, 50),
  },
  perAddress: {
    windowMs: 10 * 60_000,
    buckets: 10,
    tiers: mediumThenHigh(20, 200),
  },
  clientIdsPerAddress: {
    windowMs: 10 * 60_000,
    tiers: mediumThenHigh(5, 25),
  },
  limits: { maxKeys: 20_000, idleMs: 60 * 60_000 },
};

interface AddressState {
  failures: signals.CountSignalState;
  clientIds?: signals.DistinctSignalState;
}

export interface ClientSecretGuessingState {
  clients: keyed.KeyedState<signals.CountSignalState>;
  addresses: keyed.KeyedState<AddressState>;
}

const ID = 'client_secret_guessing';

/** The findings of this detector: what each counts, and the configuration of its signal. */
const FINDINGS = {
  client: { what: 'failed authentications of one client', valueName: 'failures', config: 'perClient' },
  address: { what: 'failed client authentications from one address', valueName: 'failures', config: 'perAddress' },
  enumeration: {
    what: 'client ids failed to authenticate from one address',
    valueName: 'client_ids',
    config: 'clientIdsPerAddress',
  },
} as const;

function observe(
  state: ClientSecretGuessingState,
  event: MonitorEvent,
  config: ClientSecretGuessingConfig,
  now: number,
) {
  const findings: Finding[] = [];
  if (event.type !== 'client.authentication_failed') return { state, findings };
  const at = signals.eventTime(event, now);
  const presented = event.clientId ?? detailString(event, 'presented_client_id', 64);
  const report = (
    r: signals.SignalResult,
    which: keyof typeof FINDINGS,
    subject: Record<string, string>,
    eventIds: readonly string[],
    extra: Finding['evidence'] = {},
  ) => {
    if (!r.fire) return;
    const { what, valueName, config: name } = FINDINGS[which];
    const windowMs = config[name].windowMs;
    const kind = `client_secret_guessing.${which}`;
    findings.push(
      signals.thresholdFinding({
        detector: ID,
        event,
        kind,
        subject,
        value: r.value,
        tier: r.fire,
        windowMs,
        what,
        valueName,
        eventIds,
        extra,
      }),
    );
  };

  if (event.clientId) {
    const c = config.perClient;
    const client = keyed.touchKeyed(state.clients, event.clientId, at, config.limits, () => signals.newCountSignal(c));
    const r = signals.stepCount(client, event, c, now);
    report(r, 'client', { client_id: event.clientId }, client.ids, event.ip ? { last_ip: event.ip } : {});
  }

  if (event.ip) {
    const c = config.perAddress;
    const address = keyed.touchKeyed(
      state.addresses,
      event.ip,
      at,
      config.limits,
      (): AddressState => ({
        failures: signals.newCountSignal(c),
      }),
    );
    report(signals.stepCount(address.failures, event, c, now), 'address', { ip: event.ip }, address.failures.ids);
    if (presented) {
      const e = config.clientIdsPerAddress;
      address.clientIds ??= signals.newDistinctSignal();
      const ids = address.clientIds;
      const d = signals.stepDistinct(ids, event, presented, e, now);
      report(d, 'enumeration', { ip: event.ip }, ids.ids, { sample_client_ids: signals.sampleDistinct(ids, e, at, 5) });
    }
  }
  return { state, findings };
}

export const clientSecretGuessing = defineDetector(ID, CLIENT_SECRET_GUESSING_DEFAULTS, {
  description: 'Failed client authentications per client and per address, and client id enumeration',
  check(c) {
    signals.checkCountSignal(c.perClient, 'perClient');
    signals.checkCountSignal(c.perAddress, 'perAddress');
    signals.checkDistinctSignal(c.clientIdsPerAddress, 'clientIdsPerAddress');
  },
  initialState: () => ({ clients: keyed.emptyKeyed(), addresses: keyed.emptyKeyed() }),
  observe,
  keyedMaps: (state) => [state.clients, state.addresses],
});
