/**
 * The monitor API's one authorization step: every route names its own Cedar action (schema:
 * workers/policy/policies/default.cedarschema) on `AdminEndpoint::"<area>"`; the admin credential, then the policy
 * Worker's decision, failing closed (shared/admin/authorize.ts). Also the API's query-error mapping.
 */
import { adminRequestOf, authorizeAdmin } from '../../../../../shared/admin/authorize.js';
import { notFound, validationFailed } from '../../../../../shared/errors.js';
import { QueryError } from '../../alerts/domain/alert-query.js';
import type { MonitorContext } from '../../services.js';

export type MonitorAction =
  | 'Admin_alerts_read'
  | 'Admin_alerts_acknowledge'
  | 'Admin_alerts_resolve'
  | 'Admin_events_read'
  | 'Admin_webhooks_read'
  | 'Admin_webhooks_create'
  | 'Admin_webhooks_update'
  | 'Admin_webhooks_delete'
  | 'Admin_webhooks_replay';

/** Returns the admin principal's id. */
export async function authorizeMonitor(
  c: MonitorContext,
  action: MonitorAction,
  area: 'alerts' | 'events' | 'webhooks',
): Promise<string> {
  const { principal } = await authorizeAdmin(c.get('services').admin, adminRequestOf(c), action, {
    type: 'AdminEndpoint',
    id: area,
  });
  return principal.id;
}

/** Parses with a domain parser; its QueryError becomes a 400 problem naming the parameter. */
export function parsed<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof QueryError) throw validationFailed(err.message, { parameter: err.parameter });
    throw err;
  }
}

/** Ids in paths are UUIDs; anything else cannot exist (404 without a query). */
function isUuid(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id);
}

/** The path's `:id`, or 404 `missing` when it cannot name anything. */
export function pathId(c: MonitorContext, missing: string): string {
  const id = c.req.param('id') ?? '';
  if (!isUuid(id)) throw notFound(missing);
  return id;
}

/** What the path's `:id` names, found by `find`, or 404 `missing`. */
export async function pathResource<T>(
  c: MonitorContext,
  find: (id: string) => Promise<T | null>,
  missing: string,
): Promise<T> {
  const found = await find(pathId(c, missing));
  if (!found) throw notFound(missing);
  return found;
}
