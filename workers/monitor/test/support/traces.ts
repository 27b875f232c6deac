/**
 * Generated security-event traces: stream entries exactly as Workers write them (`toStreamFields` of the shared
 * event schema), with a seeded PRNG so each trace is reproducible. Detectors are tested by decoding the entries
 * and replaying them in time order.
 */
import { type SecurityEvent, toStreamFields } from '../../../../shared/events/event.js';
import { decodeStreamEntries, type MonitorEvent } from '../../src/events/domain/decode.js';
import type { Detector, Finding } from '../../src/detectors/domain/finding.js';
import { Prng } from './prng.js';

export type Entry = [string, Record<string, string>];

export interface EventSpec {
  type: string;
  outcome?: SecurityEvent['outcome'];
  service?: string;
  user_id?: string;
  client_id?: string;
  ip?: string;
  details?: Record<string, unknown>;
  location?: { latitude: number; longitude: number; country?: string };
}

export const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);

export class Trace {
  readonly rng: Prng;
  private seq = 0;
  readonly entries: Entry[] = [];
  constructor(
    seed: number,
    public clock = T0,
  ) {
    this.rng = new Prng(seed);
  }

  /** Appends an event at the current clock, then advances the clock by `gapMs`. */
  add(spec: EventSpec, gapMs = 0): this {
    const n = ++this.seq;
    const event: SecurityEvent = {
      event_id: `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
      time: new Date(this.clock).toISOString(),
      type: spec.type as SecurityEvent['type'],
      outcome: spec.outcome ?? (/failed|denied|exceeded|reused|throttled/.test(spec.type) ? 'failure' : 'success'),
      service: spec.service ?? 'auth',
      ...(spec.user_id ? { user_id: spec.user_id } : {}),
      ...(spec.client_id ? { client_id: spec.client_id } : {}),
      ...(spec.ip ? { ip: spec.ip } : {}),
      user_agent: 'trace/1.0',
      request_id: `req-${n}`,
      details: spec.details ?? {},
    };
    const fields = toStreamFields(event);
    if (spec.location) {
      fields.latitude = String(spec.location.latitude);
      fields.longitude = String(spec.location.longitude);
      if (spec.location.country) fields.country = spec.location.country;
      fields.geo_source = 'cf';
    }
    this.entries.push([`${this.clock}-${n}`, fields]);
    this.clock += gapMs;
    return this;
  }

  /** Advances the clock without an event. */
  wait(ms: number): this {
    this.clock += ms;
    return this;
  }

  /** A public-looking IPv4 address outside any /24 used by attack traces (which use 203.0.113.0/24 etc.). */
  publicIpv4(): string {
    return `${this.rng.int(11, 99)}.${this.rng.int(0, 255)}.${this.rng.int(0, 255)}.${this.rng.int(1, 254)}`;
  }

  /** Events in time order (a trace may be built from interleaved generators). */
  sorted(): Entry[] {
    return [...this.entries].sort((a, b) => Number(a[0].split('-')[0]) - Number(b[0].split('-')[0]));
  }
}

export function decodeAll(entries: readonly Entry[]): MonitorEvent[] {
  const { events, malformed } = decodeStreamEntries(entries);
  if (malformed.length > 0) throw new Error(`trace has malformed entries: ${JSON.stringify(malformed.slice(0, 3))}`);
  return events.sort((a, b) => a.time - b.time);
}

/**
 * Replays events through one detector as the consumer will: in batches of `batch`, each processed `lagMs` after
 * its last event (so `now` is a little ahead of event times), compacting state after each batch and passing it
 * through JSON (as Redis or a Durable Object would store it).
 */
export function replay<S, C>(
  detector: Detector<S, C>,
  entries: readonly Entry[],
  config: C = detector.defaults,
  opts: { batch?: number; lagMs?: number } = {},
): { findings: Finding[]; state: S } {
  const events = decodeAll(entries);
  const batch = opts.batch ?? 50;
  const lag = opts.lagMs ?? 500;
  let state = detector.initialState();
  const findings: Finding[] = [];
  for (let i = 0; i < events.length; i += batch) {
    const slice = events.slice(i, i + batch);
    const now = (slice[slice.length - 1] as MonitorEvent).time + lag;
    for (const e of slice) {
      const r = detector.observe(state, e, config, now);
      state = r.state;
      findings.push(...r.findings);
    }
    state = JSON.parse(JSON.stringify(detector.compact(state, config, now))) as S;
  }
  return { findings, state };
}

export const kinds = (findings: readonly Finding[]) => [...new Set(findings.map((f) => f.kind))].sort();

/**
 * Ordinary sign-in traffic: `count` sign-ins by `users` people, each from their own address (or all from one
 * shared address behind NAT), failing with probability `failRate` and then usually getting it right.
 */
export function benignSignIns(
  t: Trace,
  opts: { count: number; users: number; failRate: number; meanGapMs: number; sharedIp?: string },
): Trace {
  const homes = Array.from({ length: opts.users }, () => t.publicIpv4());
  let emitted = 0;
  while (emitted < opts.count) {
    const u = t.rng.int(0, opts.users - 1);
    const ip = opts.sharedIp ?? (homes[u] as string);
    const user_id = `user-${u}`;
    if (t.rng.chance(opts.failRate)) {
      t.add({ type: 'user.login_failed', user_id, ip, details: { reason: 'wrong_password' } }, t.rng.gap(4000));
      emitted++;
      if (emitted >= opts.count) break;
    }
    t.add({ type: 'user.login_succeeded', user_id, ip }, t.rng.gap(opts.meanGapMs));
    emitted++;
  }
  return t;
}
