/** Webhook endpoints and their deliveries in Postgres for the monitor API (webhooks/domain/endpoint-store.ts). */
import type { Dependencies } from '../../../../../shared/dependencies.js';
import { withPostgres } from '../../../../../shared/dependencies.js';
import { poolOf } from '../../consumer/storage/sql.js';
import type { Severity } from '../../detectors/domain/finding.js';
import type { AttemptRecord } from '../domain/delivery.js';
import type { DeliveryView, EndpointStore, EndpointView } from '../domain/endpoint-store.js';
import type { AlertWebhookType } from '../domain/payload.js';
import { type DeliveryRow, deliveryFromRow } from './deliveries.js';
import type { EndpointRow } from './endpoint-rows.js';

function view(r: EndpointRow): EndpointView {
  return {
    id: r.id,
    url: r.url,
    description: r.description,
    types: r.types as AlertWebhookType[],
    minSeverity: r.min_severity as Severity,
    breaker: r.breaker,
    disabled: r.disabled_at ? { at: new Date(r.disabled_at).getTime(), reason: r.disabled_reason ?? '' } : null,
    createdAt: new Date(r.created_at).getTime(),
    secretCount: r.secrets.length,
  };
}

function deliveryView(r: DeliveryRow): DeliveryView {
  return { ...deliveryFromRow(r), alertId: r.alert_id, type: r.type };
}

/** The one row a statement by id returns, mapped, or null when there is none. */
function first<T>(map: (row: any) => T): (rows: any[]) => T | null {
  return (rows) => (rows[0] ? map(rows[0]) : null);
}

export function postgresEndpointStore(deps: Dependencies): EndpointStore {
  const run = <T>(what: string, sql: string, params: unknown[], map: (rows: any[], count: number) => T) =>
    withPostgres(deps, what, async (db) => {
      const res = await poolOf(db).query(sql, params);
      return map(res.rows, res.rowCount ?? 0);
    });
  return {
    list: () =>
      run('webhook endpoints list', 'SELECT * FROM webhook_endpoints ORDER BY created_at, id', [], (rows) =>
        rows.map(view),
      ),
    get: (id) => run('webhook endpoint read', 'SELECT * FROM webhook_endpoints WHERE id = $1', [id], first(view)),
    create: (e) =>
      run(
        'webhook endpoint create',
        `INSERT INTO webhook_endpoints (id, url, description, secrets, types, min_severity)
         VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6) RETURNING *`,
        [e.id, e.url, e.description, JSON.stringify([e.sealedSecret]), JSON.stringify(e.types), e.minSeverity],
        (rows) => view(rows[0]),
      ),
    update: (id, patch, now) => {
      const sets: string[] = [];
      const params: unknown[] = [id];
      const set = (clause: string, value: unknown) => {
        params.push(value);
        sets.push(clause.replace('?', `$${params.length}`));
      };
      if (patch.url !== undefined) set('url = ?', patch.url);
      if (patch.description !== undefined) set('description = ?', patch.description);
      if (patch.types !== undefined) set('types = ?::jsonb', JSON.stringify(patch.types));
      if (patch.minSeverity !== undefined) set('min_severity = ?', patch.minSeverity);
      if (patch.disabled === true) {
        set('disabled_at = ?', new Date(now).toISOString());
        sets.push(`disabled_reason = 'disabled by an operator'`);
      } else if (patch.disabled === false) {
        sets.push('disabled_at = NULL', 'disabled_reason = NULL', `breaker = '{"state":"closed","failures":0}'::jsonb`);
      }
      sets.push('updated_at = now()');
      return run(
        'webhook endpoint update',
        `UPDATE webhook_endpoints SET ${sets.join(', ')} WHERE id = $1 RETURNING *`,
        params,
        first(view),
      );
    },
    delete: (id) =>
      run('webhook endpoint delete', 'DELETE FROM webhook_endpoints WHERE id = $1', [id], (_r, n) => n === 1),
    deliveries: (f) => {
      const where: string[] = [];
      const params: unknown[] = [];
      if (f.endpointId !== undefined) {
        params.push(f.endpointId);
        where.push(`endpoint_id = $${params.length}`);
      }
      if (f.status !== undefined) {
        params.push(f.status);
        where.push(`status = $${params.length}`);
      }
      params.push(f.limit);
      return run(
        'webhook deliveries list',
        `SELECT * FROM webhook_deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY updated_at DESC, id LIMIT $${params.length}`,
        params,
        (rows) => rows.map(deliveryView),
      );
    },
    delivery: (id) =>
      run('webhook delivery read', 'SELECT * FROM webhook_deliveries WHERE id = $1', [id], first(deliveryView)),
    attempts: (deliveryId) =>
      run(
        'webhook attempts list',
        'SELECT * FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt',
        [deliveryId],
        (rows) =>
          rows.map((r): AttemptRecord => {
            const a: AttemptRecord = {
              deliveryId: r.delivery_id,
              endpointId: r.endpoint_id,
              attempt: r.attempt,
              at: new Date(r.at).getTime(),
              durationMs: r.duration_ms,
              outcome: r.outcome,
            };
            if (r.status !== null) a.status = r.status;
            if (r.detail !== null) a.detail = r.detail;
            if (r.next_attempt_at !== null) a.nextAttemptAt = new Date(r.next_attempt_at).getTime();
            return a;
          }),
      ),
    replay: (previous, next) =>
      run(
        'webhook dead letter replay',
        `UPDATE webhook_deliveries SET status = $2, attempts = $3, created_at = $4, next_attempt_at = $5,
           dead_reason = NULL, updated_at = now() WHERE id = $1 AND status = 'dead'`,
        [
          previous.id,
          next.status,
          next.attempts,
          new Date(next.createdAt).toISOString(),
          new Date(next.nextAttemptAt).toISOString(),
        ],
        (_r, n) => n === 1,
      ),
  };
}
