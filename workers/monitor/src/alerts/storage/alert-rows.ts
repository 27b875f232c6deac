/** Alerts as Postgres rows (table `alerts`, migration 0006) and back. */
import type { Alert, AlertStatus } from '../domain/deduplicate.js';
import type { Severity } from '../../detectors/domain/finding.js';

export interface AlertRow {
  id: string;
  dedup_key: string;
  detector: string;
  kind: string;
  severity: string;
  finding_severity: string;
  status: string;
  summary: string;
  subject: Record<string, string>;
  count: number;
  first_seen: string | Date;
  last_seen: string | Date;
  first_event_ids: string[];
  last_event_ids: string[];
  dropped_event_ids: number;
  evidence: Alert['evidence'];
  acknowledged_at: string | Date | null;
  acknowledged_by: string | null;
  resolved_at: string | Date | null;
  resolved_by: string | null;
}

const ms = (v: string | Date) => new Date(v).getTime();

export function alertFromRow(r: AlertRow): Alert {
  const alert: Alert = {
    id: r.id,
    dedupKey: r.dedup_key,
    detector: r.detector,
    kind: r.kind,
    severity: r.severity as Severity,
    findingSeverity: r.finding_severity as Severity,
    status: r.status as AlertStatus,
    summary: r.summary,
    subject: r.subject,
    count: Number(r.count),
    firstSeen: ms(r.first_seen),
    lastSeen: ms(r.last_seen),
    firstEventIds: r.first_event_ids,
    lastEventIds: r.last_event_ids,
    droppedEventIds: Number(r.dropped_event_ids),
    evidence: r.evidence,
  };
  if (r.acknowledged_at) alert.acknowledgedAt = ms(r.acknowledged_at);
  if (r.acknowledged_by) alert.acknowledgedBy = r.acknowledged_by;
  if (r.resolved_at) alert.resolvedAt = ms(r.resolved_at);
  if (r.resolved_by) alert.resolvedBy = r.resolved_by;
  return alert;
}

const iso = (v: number | undefined) => (v === undefined ? null : new Date(v).toISOString());

/**
 * One alert as a JSON record for `jsonb_populate_record(null::alerts, ...)`; the monitor API shows alerts in the same
 * terms (alerts/handlers/alerts.ts `alertJson`).
 */
export function alertRecord(a: Alert) {
  return {
    id: a.id,
    dedup_key: a.dedupKey,
    detector: a.detector,
    kind: a.kind,
    severity: a.severity,
    finding_severity: a.findingSeverity,
    status: a.status,
    summary: a.summary,
    subject: a.subject,
    count: a.count,
    first_seen: iso(a.firstSeen),
    last_seen: iso(a.lastSeen),
    first_event_ids: a.firstEventIds,
    last_event_ids: a.lastEventIds,
    dropped_event_ids: a.droppedEventIds,
    evidence: a.evidence,
    acknowledged_at: iso(a.acknowledgedAt),
    acknowledged_by: a.acknowledgedBy ?? null,
    resolved_at: iso(a.resolvedAt),
    resolved_by: a.resolvedBy ?? null,
  };
}

/** Upserts alerts given as a jsonb array parameter (`$1`): one statement for the whole batch. */
export const UPSERT_ALERTS = `
  INSERT INTO alerts (id, dedup_key, detector, kind, severity, finding_severity, status, summary, subject, count,
    first_seen, last_seen, first_event_ids, last_event_ids, dropped_event_ids, evidence, acknowledged_at,
    acknowledged_by, resolved_at, resolved_by, created_at, updated_at)
  SELECT r.id, r.dedup_key, r.detector, r.kind, r.severity, r.finding_severity, r.status, r.summary, r.subject,
    r.count, r.first_seen, r.last_seen, r.first_event_ids, r.last_event_ids, r.dropped_event_ids, r.evidence,
    r.acknowledged_at, r.acknowledged_by, r.resolved_at, r.resolved_by, now(), now()
  FROM jsonb_populate_recordset(null::alerts, $1::jsonb) AS r
  ON CONFLICT (id) DO UPDATE SET severity = excluded.severity, finding_severity = excluded.finding_severity,
    status = excluded.status, summary = excluded.summary, count = excluded.count, first_seen = excluded.first_seen,
    last_seen = excluded.last_seen, first_event_ids = excluded.first_event_ids,
    last_event_ids = excluded.last_event_ids, dropped_event_ids = excluded.dropped_event_ids,
    evidence = excluded.evidence, acknowledged_at = excluded.acknowledged_at,
    acknowledged_by = excluded.acknowledged_by, resolved_at = excluded.resolved_at,
    resolved_by = excluded.resolved_by, updated_at = now()`;
