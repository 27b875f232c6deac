/**
 * The monitor API's alerts: list and filter (`Admin_alerts_read`), read one, acknowledge
 * (`Admin_alerts_acknowledge`) and resolve (`Admin_alerts_resolve`). Status changes follow
 * alerts/domain/deduplicate.ts `transitionAlert` (resolved is final: 409).
 */
import { conflict } from '../../../../../shared/errors.js';
import { authorizeMonitor, parsed, pathResource } from '../../api/handlers/access.js';
import type { MonitorContext } from '../../services.js';
import { parseAlertFilter } from '../domain/alert-query.js';
import { type Alert, AlertTransitionError, type AlertStatus, transitionAlert } from '../domain/deduplicate.js';
import { alertRecord } from '../storage/alert-rows.js';

/**
 * An alert as the API shows it: its `alerts` record, with the event ids it kept (first and last) as one list and the
 * count of those dropped between them; `finding_severity` stays internal.
 */
export function alertJson(a: Alert) {
  const { finding_severity: _, first_event_ids, last_event_ids, dropped_event_ids, ...shown } = alertRecord(a);
  return { ...shown, event_ids: [...first_event_ids, ...last_event_ids], event_ids_omitted: dropped_event_ids };
}

export async function listAlerts(c: MonitorContext): Promise<Response> {
  await authorizeMonitor(c, 'Admin_alerts_read', 'alerts');
  const filter = parsed(() => parseAlertFilter(new URL(c.req.url).searchParams));
  const alerts = await c.get('services').alerts.list(filter);
  return c.json({ alerts: alerts.map(alertJson) });
}

function load(c: MonitorContext): Promise<Alert> {
  return pathResource(c, (id) => c.get('services').alerts.get(id), 'no such alert');
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
