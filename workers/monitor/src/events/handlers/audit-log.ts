/** `GET /admin/events` (`Admin_events_read`): the audit log by actor, client, user, type, address, outcome and time. */
import { authorizeMonitor, parsed } from '../../api/handlers/access.js';
import type { MonitorContext } from '../../services.js';
import { parseAuditQuery } from '../domain/audit-log.js';

export async function queryAuditLog(c: MonitorContext): Promise<Response> {
  await authorizeMonitor(c, 'Admin_events_read', 'events');
  const query = parsed(() => parseAuditQuery(new URL(c.req.url).searchParams));
  return c.json({ events: await c.get('services').auditLog.query(query) });
}
