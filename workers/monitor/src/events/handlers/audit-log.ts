/**
 * `GET /admin/events` (`Admin_events_read`): the audit log by actor, client, user, type, address, outcome and time.
 * `GET /admin/events/counts` (the same action): every event of a window counted by type and outcome.
 */
import { authorizeMonitor, parsed } from '../../api/handlers/access.js';
import type { MonitorContext } from '../../services.js';
import { parseAuditQuery, parseCountWindow } from '../domain/audit-log.js';

export async function queryAuditLog(c: MonitorContext): Promise<Response> {
  await authorizeMonitor(c, 'Admin_events_read', 'events');
  const query = parsed(() => parseAuditQuery(new URL(c.req.url).searchParams));
  return c.json({ events: await c.get('services').auditLog.query(query) });
}

export async function countAuditLog(c: MonitorContext): Promise<Response> {
  await authorizeMonitor(c, 'Admin_events_read', 'events');
  const window = parsed(() => parseCountWindow(new URL(c.req.url).searchParams, Date.now()));
  const counts = await c.get('services').auditLog.count(window);
  return c.json({ since: new Date(window.since).toISOString(), until: new Date(window.until).toISOString(), counts });
}
