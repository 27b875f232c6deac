/**
 * The monitor API's alerts: list and filter (`Admin_alerts_read`), read one, acknowledge
 * (`Admin_alerts_acknowledge`) and resolve (`Admin_alerts_resolve`). Status changes follow
 * alerts/domain/deduplicate.ts `transitionAlert` (resolved is final: 409).
 */
import { conflict, notFound } from '../../../../../shared/errors.js';
import { authorizeMonitor, isUuid, parsed } from '../../api/handlers/access.js';
import type { MonitorContext } from '../../services.js';
import { parseAlertFilter } from '../domain/alert-query.js';
import { type Alert, AlertTransitionError, type AlertStatus, transitionAlert } from '../domain/deduplicate.js';

const iso = (v: number | undefined) => (v === undefined ? null : new Date(v).toISOString());

export function alertJson(a: Alert) {
  return {
    id: a.id,
    dedup_key: a.dedupKey,
    detector: a.detector,
    kind: a.kind,
    severity: a.severity,
    status: a.status,
    summary: a.summary,
    subject: a.subject,
    count: a.count,
    first_seen: iso(a.firstSeen),
    last_seen: iso(a.lastSeen),
    event_ids: [...a.firstEventIds, ...a.lastEventIds],
    event_ids_omitted: a.droppedEventIds,
    evidence: a.evidence,
    acknowledged_at: iso(a.acknowledgedAt),
    acknowledged_by: a.acknowledgedBy ?? null,
    resolved_at: iso(a.resolvedAt),
    resolved_by: a.resolvedBy ?? null,
  };
}

export async function listAlerts(c: MonitorContext): Promise<Response> {
  await authorizeMonitor(c, 'Admin_alerts_read', 'alerts');
  const filter = parsed(() => parseAlertFilter(new URL(c.req.url).searchParams));
  const alerts = await c.get('services').alerts.list(filter);
  return c.json({ alerts: alerts.map(alertJson) });
}

async function load(c: MonitorContext): Promise<Alert> {
  const id = c.req.param('id') ?? '';
  const alert = isUuid(id) ? await c.get('services').alerts.get(id) : null;
  if (!alert) throw notFound('no such alert');
  return alert;
}

export async function getAlert(c: MonitorContext): Promise<Response> {
  await authorizeMonitor(c, 'Admin_alerts_read', 'alerts');
  return c.json(alertJson(await load(c)));
}

async function changeStatus(c: MonitorContext, to: AlertStatus, actor: string): Promise<Response> {
  const alert = await load(c);
  let next: Alert;
  try {
    next = transitionAlert(alert, to, actor, Date.now());
  } catch (err) {
    if (err instanceof AlertTransitionError) throw conflict(err.message);
    throw err;
  }
  if (!(await c.get('services').alerts.saveStatus(alert, next)))
    throw conflict('the alert changed meanwhile; read it again');
  return c.json(alertJson(next));
}

export async function acknowledgeAlert(c: MonitorContext): Promise<Response> {
  const admin = await authorizeMonitor(c, 'Admin_alerts_acknowledge', 'alerts');
  return changeStatus(c, 'acknowledged', admin);
}

export async function resolveAlert(c: MonitorContext): Promise<Response> {
  const admin = await authorizeMonitor(c, 'Admin_alerts_resolve', 'alerts');
  return changeStatus(c, 'resolved', admin);
}
