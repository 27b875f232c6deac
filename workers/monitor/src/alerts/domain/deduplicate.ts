/**
 * From findings to alerts. A finding whose dedup key matches an alert that is not resolved and was last seen
 * within the dedup window updates that alert (count, last seen, event ids, severity); otherwise it opens a new
 * alert. Resolved alerts are never reopened: the same attack after resolution is a new incident.
 *
 * Severity escalation: an alert's severity is the highest severity of its findings, raised one level each time
 * its count reaches one of `escalateAtCounts` (capped at critical). An escalation of an acknowledged alert puts
 * it back to open: what was acknowledged was a lesser alert.
 *
 * Event ids kept per alert are bounded: the first `firstEventIds` (what triggered it) and the latest
 * `lastEventIds` (what it is doing now); the number left out is counted.
 */
import { checkDuration, checkInteger, DetectorConfigError, mergeConfig } from '../../detectors/domain/config.js';
import { type Finding, type Severity, SEVERITIES, severityRank } from '../../detectors/domain/finding.js';

export type AlertStatus = 'open' | 'acknowledged' | 'resolved';

export interface Alert {
  id: string;
  dedupKey: string;
  detector: string;
  kind: string;
  /** Current severity, after escalation. */
  severity: Severity;
  /** Highest severity of the findings, before escalation by count. */
  findingSeverity: Severity;
  status: AlertStatus;
  summary: string;
  subject: Record<string, string>;
  /** Findings merged into this alert. */
  count: number;
  firstSeen: number;
  lastSeen: number;
  firstEventIds: string[];
  lastEventIds: string[];
  /** Event ids seen but not kept. */
  droppedEventIds: number;
  /** Evidence of the latest finding. */
  evidence: Finding['evidence'];
  acknowledgedAt?: number;
  acknowledgedBy?: string;
  resolvedAt?: number;
  resolvedBy?: string;
}

export interface DedupConfig {
  windowMs: number;
  escalateAtCounts: number[];
  firstEventIds: number;
  lastEventIds: number;
}

/**
 * One hour: detectors re-fire an ongoing attack at least once per their window (at most an hour), so a continuing
 * attack stays one alert, and an hour of quiet ends the incident. Escalation at 10 and 100 repeats: an attack
 * that keeps coming back for hours deserves more attention than its first sighting.
 */
export const DEDUP_DEFAULTS: DedupConfig = {
  windowMs: 60 * 60_000,
  escalateAtCounts: [10, 100],
  firstEventIds: 10,
  lastEventIds: 40,
};

export function parseDedupConfig(input: unknown): DedupConfig {
  const c = mergeConfig(DEDUP_DEFAULTS, input);
  checkDuration(c.windowMs, 'windowMs');
  c.escalateAtCounts.forEach((n, i) => {
    checkInteger(n, `escalateAtCounts[${i}]`, 2, 1_000_000_000);
    if (i > 0 && n <= (c.escalateAtCounts[i - 1] as number))
      throw new DetectorConfigError(`escalateAtCounts[${i}]`, 'must be ascending');
  });
  checkInteger(c.firstEventIds, 'firstEventIds', 1, 100);
  checkInteger(c.lastEventIds, 'lastEventIds', 0, 1000);
  return c;
}

/** Why a change should be announced (webhooks): on creation and on escalation, not on every repeat. */
export type AlertChange =
  | { action: 'created'; alert: Alert }
  | { action: 'updated'; alert: Alert; escalated: boolean; reopened: boolean };

export function escalate(base: Severity, count: number, thresholds: readonly number[]): Severity {
  const steps = thresholds.filter((t) => count >= t).length;
  const rank = Math.min(severityRank(base) + steps, SEVERITIES.length - 1);
  return SEVERITIES[rank] as Severity;
}

/** Whether a finding at `now` belongs to `alert`. */
export function matchesAlert(alert: Alert, finding: Finding, now: number, config: DedupConfig): boolean {
  return (
    alert.dedupKey === finding.dedupKey &&
    alert.status !== 'resolved' &&
    Math.max(now, finding.at) - alert.lastSeen <= config.windowMs
  );
}

function mergeIds(alert: Alert, ids: readonly string[], config: DedupConfig): void {
  const known = new Set([...alert.firstEventIds, ...alert.lastEventIds]);
  for (const id of ids) {
    if (known.has(id)) continue;
    known.add(id);
    if (alert.firstEventIds.length < config.firstEventIds) {
      alert.firstEventIds.push(id);
      continue;
    }
    alert.lastEventIds.push(id);
    if (alert.lastEventIds.length > config.lastEventIds) {
      alert.lastEventIds.shift();
      alert.droppedEventIds++;
    }
  }
}

function newAlert(finding: Finding, id: string, config: DedupConfig): Alert {
  const alert: Alert = {
    id,
    dedupKey: finding.dedupKey,
    detector: finding.detector,
    kind: finding.kind,
    severity: escalate(finding.severity, 1, config.escalateAtCounts),
    findingSeverity: finding.severity,
    status: 'open',
    summary: finding.summary,
    subject: { ...finding.subject },
    count: 1,
    firstSeen: finding.at,
    lastSeen: finding.at,
    firstEventIds: [],
    lastEventIds: [],
    droppedEventIds: 0,
    evidence: finding.evidence,
  };
  mergeIds(alert, finding.eventIds, config);
  return alert;
}

/**
 * Applies a finding to the open alert with its dedup key (`existing`, as loaded by the caller, or null).
 * Returns a new alert value; `existing` is not modified. `newId` names a created alert.
 */
export function applyFinding(
  existing: Alert | null,
  finding: Finding,
  config: DedupConfig,
  now: number,
  newId: () => string,
): AlertChange {
  if (!existing || !matchesAlert(existing, finding, now, config))
    return { action: 'created', alert: newAlert(finding, newId(), config) };
  const alert: Alert = structuredClone(existing);
  alert.count++;
  alert.firstSeen = Math.min(alert.firstSeen, finding.at);
  alert.lastSeen = Math.max(alert.lastSeen, finding.at);
  alert.findingSeverity =
    severityRank(finding.severity) > severityRank(alert.findingSeverity) ? finding.severity : alert.findingSeverity;
  alert.summary = finding.summary;
  alert.evidence = finding.evidence;
  mergeIds(alert, finding.eventIds, config);
  const severity = escalate(alert.findingSeverity, alert.count, config.escalateAtCounts);
  const escalated = severityRank(severity) > severityRank(existing.severity);
  alert.severity = escalated ? severity : existing.severity;
  const reopened = escalated && alert.status === 'acknowledged';
  if (reopened) {
    alert.status = 'open';
    delete alert.acknowledgedAt;
    delete alert.acknowledgedBy;
  }
  return { action: 'updated', alert, escalated, reopened };
}

/**
 * Applies a batch of findings in order to the alerts they match. `current` maps dedup keys to the latest alert
 * per key (the caller loads those from storage); the result lists every change, in order, with the latest
 * value per key last.
 */
export function applyFindings(
  current: ReadonlyMap<string, Alert>,
  findings: readonly Finding[],
  config: DedupConfig,
  now: number,
  newId: () => string,
): { changes: AlertChange[]; latest: Map<string, Alert> } {
  const latest = new Map(current);
  const changes: AlertChange[] = [];
  for (const f of findings) {
    const change = applyFinding(latest.get(f.dedupKey) ?? null, f, config, now, newId);
    latest.set(f.dedupKey, change.alert);
    changes.push(change);
  }
  return { changes, latest };
}

export class AlertTransitionError extends Error {
  readonly code = 'invalid_alert_transition';
}

const TRANSITIONS: Record<AlertStatus, readonly AlertStatus[]> = {
  open: ['acknowledged', 'resolved'],
  acknowledged: ['resolved', 'open'],
  resolved: [],
};

/** Operator status changes: acknowledge, resolve, or put an acknowledged alert back to open. */
export function transitionAlert(alert: Alert, to: AlertStatus, actor: string, now: number): Alert {
  if (!TRANSITIONS[alert.status].includes(to))
    throw new AlertTransitionError(`an alert that is ${alert.status} cannot become ${to}`);
  const next: Alert = structuredClone(alert);
  next.status = to;
  if (to === 'acknowledged') {
    next.acknowledgedAt = now;
    next.acknowledgedBy = actor;
  } else if (to === 'resolved') {
    next.resolvedAt = now;
    next.resolvedBy = actor;
  } else {
    delete next.acknowledgedAt;
    delete next.acknowledgedBy;
  }
  return next;
}

/** All event ids an alert keeps, in order. */
export function alertEventIds(alert: Alert): string[] {
  return [...alert.firstEventIds, ...alert.lastEventIds];
}
