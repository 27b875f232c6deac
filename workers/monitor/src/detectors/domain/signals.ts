/**
 * The building blocks most detectors share: a per-subject count or distinct-count over a sliding window, a
 * ladder of thresholds (tiers), and the rule for when to fire again. A subject fires when it first reaches a
 * tier, again at once when it reaches a higher tier, and at most once per window while it stays at the same
 * tier, so a long attack keeps its alert's last-seen time and count moving without a finding per event.
 *
 * Windows are evaluated at the event's own time (never later than the processing clock `now`), so a backlog
 * replayed after an outage is judged as it happened, and a sender's clock running ahead cannot move them.
 */
import type { MonitorEvent } from '../../events/domain/decode.js';
import {
  type CounterWindow,
  countWindow,
  emptyWindow,
  recordInWindow,
  type WindowSpec,
} from '../../windows/domain/counter-window.js';
import {
  countDistinct,
  type DistinctWindow,
  distinctValues,
  emptyDistinct,
  observeDistinct,
} from '../../windows/domain/distinct-window.js';
import { checkDuration, checkInteger, checkTiers, DetectorConfigError, type Tier } from './config.js';
import { dedupKeyOf, type Finding, type Severity } from './finding.js';

/** Event ids remembered per subject, to attach to findings. */
export const RECENT_IDS = 10;

export interface CountSignalConfig {
  windowMs: number;
  /** Buckets per window (the count may miss events of the oldest windowMs / buckets; see counter-window.ts). */
  buckets: number;
  tiers: Tier[];
}

export interface DistinctSignalConfig {
  windowMs: number;
  tiers: Tier[];
}

export interface CountSignalState {
  w: CounterWindow;
  ids: string[];
  /** [tier index, time] of the last firing. */
  fired?: [number, number];
}

export interface DistinctSignalState {
  d: DistinctWindow;
  ids: string[];
  fired?: [number, number];
}

export function checkCountSignal(c: CountSignalConfig, path: string): void {
  checkDuration(c.windowMs, `${path}.windowMs`);
  checkInteger(c.buckets, `${path}.buckets`, 1, 600);
  if (c.windowMs % c.buckets !== 0) throw new DetectorConfigError(`${path}.buckets`, 'must divide windowMs evenly');
  checkTiers(c.tiers, `${path}.tiers`, 1_000_000_000);
}

export function checkDistinctSignal(c: DistinctSignalConfig, path: string): void {
  checkDuration(c.windowMs, `${path}.windowMs`);
  checkTiers(c.tiers, `${path}.tiers`, 1000);
}

export function windowSpecOf(c: CountSignalConfig): WindowSpec {
  return { kind: 'bucketed', windowMs: c.windowMs, buckets: c.buckets };
}

/** Memory per distinct signal: the highest tier is all a decision needs (see distinct-window.ts). */
export function distinctSpecOf(c: DistinctSignalConfig): { windowMs: number; cap: number } {
  return { windowMs: c.windowMs, cap: (c.tiers[c.tiers.length - 1] as Tier).count };
}

export function newCountSignal(c: CountSignalConfig): CountSignalState {
  return { w: emptyWindow(windowSpecOf(c)), ids: [] };
}

export function newDistinctSignal(): DistinctSignalState {
  return { d: emptyDistinct(), ids: [] };
}

function remember(ids: string[], id: string): void {
  if (ids[ids.length - 1] === id) return;
  ids.push(id);
  if (ids.length > RECENT_IDS) ids.splice(0, ids.length - RECENT_IDS);
}

/** The highest tier `value` reaches, or -1. */
export function tierLevel(tiers: readonly Tier[], value: number): number {
  let level = -1;
  tiers.forEach((t, i) => {
    if (value >= t.count) level = i;
  });
  return level;
}

/** Whether to fire at `level` now, updating the firing memory when so. */
function shouldFire(state: { fired?: [number, number] }, level: number, now: number, cooldownMs: number): boolean {
  if (level < 0) return false;
  const fired = state.fired;
  if (fired && level <= fired[0] && now - fired[1] < cooldownMs) return false;
  state.fired = [level, now];
  return true;
}

export interface SignalResult {
  value: number;
  /** The tier to report, when this event makes the subject fire. */
  fire?: Tier;
}

/** When an event counts: its own time, clamped to the processing clock. */
export function eventTime(event: MonitorEvent, now: number): number {
  return Math.min(event.time, now);
}

/** Remembers the event on the signal and decides whether `value`, counted at `at`, fires a tier (unless `gate` is off). */
function settle(
  s: { ids: string[]; fired?: [number, number] },
  event: MonitorEvent,
  c: { tiers: Tier[]; windowMs: number },
  at: number,
  value: number,
  gate = true,
): SignalResult {
  remember(s.ids, event.eventId);
  const level = gate ? tierLevel(c.tiers, value) : -1;
  return shouldFire(s, level, at, c.windowMs) ? { value, fire: c.tiers[level] } : { value };
}

export function stepCount(
  s: CountSignalState,
  event: MonitorEvent,
  c: CountSignalConfig,
  now: number,
  weight = 1,
): SignalResult {
  const spec = windowSpecOf(c);
  const at = eventTime(event, now);
  recordInWindow(s.w, at, at, spec, weight);
  return settle(s, event, c, at, countWindow(s.w, at, spec));
}

/** Records `value` for the subject; `gate` (default true) can hold back firing, e.g. until a ratio is met. */
export function stepDistinct(
  s: DistinctSignalState,
  event: MonitorEvent,
  value: string,
  c: DistinctSignalConfig,
  now: number,
  gate: (distinct: number) => boolean = () => true,
): SignalResult {
  const spec = distinctSpecOf(c);
  const at = eventTime(event, now);
  observeDistinct(s.d, value, at, at, spec);
  const distinct = countDistinct(s.d, at, spec);
  return settle(s, event, c, at, distinct, gate(distinct));
}

export function sampleDistinct(s: DistinctSignalState, c: DistinctSignalConfig, now: number, limit = 10): string[] {
  return distinctValues(s.d, now, distinctSpecOf(c), limit);
}

/** The count of a signal at `now` without recording anything. */
export function peekCount(s: CountSignalState | undefined, c: CountSignalConfig, now: number): number {
  return s ? countWindow(s.w, now, windowSpecOf(c)) : 0;
}

export function makeFinding(args: {
  detector: string;
  kind: string;
  severity: Severity;
  subject: Record<string, string>;
  summary: string;
  event: MonitorEvent;
  eventIds?: readonly string[];
  evidence: Finding['evidence'];
}): Finding {
  return {
    detector: args.detector,
    kind: args.kind,
    severity: args.severity,
    dedupKey: dedupKeyOf(args.kind, args.subject),
    subject: args.subject,
    summary: args.summary,
    at: args.event.time,
    eventIds: [...(args.eventIds ?? [args.event.eventId])],
    evidence: args.evidence,
  };
}

/**
 * The finding for a subject that reached a tier: "<value> <what> within <window>", with the value, the tier's
 * threshold and the window as evidence (plus `extra`).
 */
export function thresholdFinding(args: {
  detector: string;
  kind: string;
  subject: Record<string, string>;
  event: MonitorEvent;
  value: number;
  tier: Tier;
  windowMs: number;
  /** What was counted, in the summary ("failed sign-ins for one account"). */
  what: string;
  /** Name of the counted value in the evidence ("failures"). */
  valueName: string;
  eventIds: readonly string[];
  extra?: Finding['evidence'];
}): Finding {
  return makeFinding({
    detector: args.detector,
    kind: args.kind,
    severity: args.tier.severity,
    subject: args.subject,
    summary: `${args.value} ${args.what} within ${describeDuration(args.windowMs)}`,
    event: args.event,
    eventIds: args.eventIds,
    evidence: { [args.valueName]: args.value, threshold: args.tier.count, window_ms: args.windowMs, ...args.extra },
  });
}

/** "10 minutes", "1 hour": for finding summaries. */
export function describeDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return ms === 3_600_000 ? '1 hour' : `${ms / 3_600_000} hours`;
  if (ms % 60_000 === 0) return ms === 60_000 ? '1 minute' : `${ms / 60_000} minutes`;
  return `${Math.round(ms / 1000)} seconds`;
}
