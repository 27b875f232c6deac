/**
 * Client secret guessing: failed client authentications per client_id and per address, and one address
 * trying many client ids (enumeration; an unknown id arrives as `details.presented_client_id`).
 *
 * A machine client holding its secret never fails, so repeated failures are either guessing or a client left
 * with a rotated-out secret; both deserve an alert, and the token endpoint already charges failures extra.
 */
import { detailString, type MonitorEvent } from '../../events/domain/decode.js';
import {
  emptyKeyed,
  expireKeyed,
  type KeyedLimits,
  type KeyedState,
  touchKeyed,
} from '../../windows/domain/keyed-state.js';
import { checkLimits, mergeConfig } from './config.js';
import type { Detector, Finding } from './finding.js';
import {
  type CountSignalConfig,
  type CountSignalState,
  checkCountSignal,
  checkDistinctSignal,
  type DistinctSignalConfig,
  type DistinctSignalState,
  eventTime,
  newCountSignal,
  newDistinctSignal,
  sampleDistinct,
  stepCount,
  stepDistinct,
  thresholdFinding,
} from './signals.js';

export interface ClientSecretGuessingConfig {
  perClient: CountSignalConfig;
  perAddress: CountSignalConfig;
  /** Distinct client ids failing from one address. */
  clientIdsPerAddress: DistinctSignalConfig;
  limits: KeyedLimits;
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
    tiers: [
      { count: 10, severity: 'medium' },
      { count: 50, severity: 'high' },
    ],
  },
  perAddress: {
    windowMs: 10 * 60_000,
    buckets: 10,
    tiers: [
      { count: 20, severity: 'medium' },
      { count: 200, severity: 'high' },
    ],
  },
  clientIdsPerAddress: {
    windowMs: 10 * 60_000,
    tiers: [
      { count: 5, severity: 'medium' },
      { count: 25, severity: 'high' },
    ],
  },
  limits: { maxKeys: 20_000, idleMs: 60 * 60_000 },
};

interface AddressState {
  failures: CountSignalState;
  clientIds?: DistinctSignalState;
}

export interface ClientSecretGuessingState {
  clients: KeyedState<CountSignalState>;
  addresses: KeyedState<AddressState>;
}

const ID = 'client_secret_guessing';

function observe(
  state: ClientSecretGuessingState,
  event: MonitorEvent,
  config: ClientSecretGuessingConfig,
  now: number,
) {
  const findings: Finding[] = [];
  if (event.type !== 'client.authentication_failed') return { state, findings };
  const at = eventTime(event, now);
  const presented = event.clientId ?? detailString(event, 'presented_client_id', 64);
  const base = { detector: ID, event };

  if (event.clientId) {
    const c = config.perClient;
    const client = touchKeyed(state.clients, event.clientId, at, config.limits, () => newCountSignal(c));
    const r = stepCount(client, event, c, now);
    if (r.fire)
      findings.push(
        thresholdFinding({
          ...base,
          kind: 'client_secret_guessing.client',
          subject: { client_id: event.clientId },
          value: r.value,
          tier: r.fire,
          windowMs: c.windowMs,
          what: 'failed authentications of one client',
          valueName: 'failures',
          eventIds: client.ids,
          extra: event.ip ? { last_ip: event.ip } : {},
        }),
      );
  }

  if (event.ip) {
    const c = config.perAddress;
    const address = touchKeyed(
      state.addresses,
      event.ip,
      at,
      config.limits,
      (): AddressState => ({
        failures: newCountSignal(c),
      }),
    );
    const r = stepCount(address.failures, event, c, now);
    if (r.fire)
      findings.push(
        thresholdFinding({
          ...base,
          kind: 'client_secret_guessing.address',
          subject: { ip: event.ip },
          value: r.value,
          tier: r.fire,
          windowMs: c.windowMs,
          what: 'failed client authentications from one address',
          valueName: 'failures',
          eventIds: address.failures.ids,
        }),
      );
    if (presented) {
      const e = config.clientIdsPerAddress;
      address.clientIds ??= newDistinctSignal();
      const d = stepDistinct(address.clientIds, event, presented, e, now);
      if (d.fire)
        findings.push(
          thresholdFinding({
            ...base,
            kind: 'client_secret_guessing.enumeration',
            subject: { ip: event.ip },
            value: d.value,
            tier: d.fire,
            windowMs: e.windowMs,
            what: 'client ids failed to authenticate from one address',
            valueName: 'client_ids',
            eventIds: address.clientIds.ids,
            extra: { sample_client_ids: sampleDistinct(address.clientIds, e, at, 5) },
          }),
        );
    }
  }
  return { state, findings };
}

export const clientSecretGuessing: Detector<ClientSecretGuessingState, ClientSecretGuessingConfig> = {
  id: ID,
  description: 'Failed client authentications per client and per address, and client id enumeration',
  defaults: CLIENT_SECRET_GUESSING_DEFAULTS,
  parseConfig(input) {
    const c = mergeConfig(CLIENT_SECRET_GUESSING_DEFAULTS, input);
    checkCountSignal(c.perClient, 'perClient');
    checkCountSignal(c.perAddress, 'perAddress');
    checkDistinctSignal(c.clientIdsPerAddress, 'clientIdsPerAddress');
    checkLimits(c.limits);
    return c;
  },
  status: () => ({ active: true }),
  initialState: () => ({ clients: emptyKeyed(), addresses: emptyKeyed() }),
  observe,
  compact(state, config, now) {
    expireKeyed(state.clients, now, config.limits);
    expireKeyed(state.addresses, now, config.limits);
    return state;
  },
};
