/**
 * What detectors produce. A detector is a pure step `(state, event, config, now) → {state, findings}` over one
 * decoded event; its state is a plain JSON value (kept in a Durable Object or Redis between batches).
 *
 * Ownership: `observe` may update the state it is given and returns it; callers keep only the returned value
 * (copying a detector's whole state on every event would make a batch quadratic).
 */
import type { MonitorEvent } from '../../events/domain/decode.js';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export function maxSeverity(a: Severity, b: Severity): Severity {
  return severityRank(a) >= severityRank(b) ? a : b;
}

export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

export interface Finding {
  /** The detector that produced it. */
  detector: string;
  /** What was detected, e.g. `brute_force.account`. */
  kind: string;
  severity: Severity;
  /** Same key ⇒ same alert (see alerts/domain/deduplicate.ts): kind plus the subject. */
  dedupKey: string;
  /** Who or what is affected or attacking: `{ user_id }`, `{ ip }`, `{ network }`, `{ client_id }`. */
  subject: Record<string, string>;
  summary: string;
  /** Time of the event that triggered the finding (epoch ms). */
  at: number;
  /** Ids of the events that led to it, most recent last (bounded by the detector). */
  eventIds: string[];
  evidence: Record<string, number | string | boolean | string[]>;
}

/** Whether a detector runs in this deployment; `notes` name rules that are off for lack of configuration. */
export type DetectorStatus = { active: true; notes?: string[] } | { active: false; reason: string };

export interface Observation<S> {
  state: S;
  findings: Finding[];
}

export interface Detector<S, C> {
  readonly id: string;
  /** One line on what it detects, for the API and the dashboard. */
  readonly description: string;
  readonly defaults: C;
  /** Defaults overridden by `input` (a JSON object), validated; throws DetectorConfigError. */
  parseConfig(input: unknown): C;
  status(config: C): DetectorStatus;
  initialState(): S;
  observe(state: S, event: MonitorEvent, config: C, now: number): Observation<S>;
  /** Per-batch housekeeping: forgets subjects idle past the detector's limits. */
  compact(state: S, config: C, now: number): S;
}

/** A finding's dedup key: the kind and the subject's values in a fixed order. */
export function dedupKeyOf(kind: string, subject: Record<string, string>): string {
  const parts = Object.keys(subject)
    .sort()
    .map((k) => `${k}=${subject[k]}`);
  return [kind, ...parts].join('|');
}
