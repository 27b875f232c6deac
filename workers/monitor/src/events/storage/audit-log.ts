/** The audit log in Postgres (`security_events`, indexed per filter column and time: migration 0006). */
import type { Dependencies } from '../../../../../shared/dependencies.js';
import { withPostgres } from '../../../../../shared/dependencies.js';
import { poolOf } from '../../consumer/storage/sql.js';
import type { AuditEvent, AuditLog, AuditQuery, CountWindow } from '../domain/audit-log.js';

export function postgresAuditLog(deps: Dependencies): AuditLog {
  return {
    query(q: AuditQuery) {
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (column: string, value: unknown, op = '=') => {
        params.push(value);
        where.push(`${column} ${op} $${params.length}`);
      };
      if (q.actor !== undefined) add('actor', q.actor);
      if (q.clientId !== undefined) add('client_id', q.clientId);
      if (q.userId !== undefined) add('user_id', q.userId);
      if (q.type !== undefined) add('type', q.type);
      if (q.ip !== undefined) add('ip', q.ip);
      if (q.outcome !== undefined) add('outcome', q.outcome);
      if (q.since !== undefined) add('occurred_at', new Date(q.since).toISOString(), '>=');
      if (q.until !== undefined) add('occurred_at', new Date(q.until).toISOString(), '<');
      params.push(q.limit);
      const sql = `SELECT event_id, occurred_at, type, outcome, service, client_id, user_id, actor, ip, user_agent,
          request_id, details FROM security_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY occurred_at DESC, event_id LIMIT $${params.length}`;
      return withPostgres(deps, 'audit log query', async (db) => {
        const res = await poolOf(db).query(sql, params);
        return res.rows.map(
          (r): AuditEvent => ({
            event_id: r.event_id,
            time: new Date(r.occurred_at).toISOString(),
            type: r.type,
            outcome: r.outcome,
            service: r.service,
            client_id: r.client_id,
            user_id: r.user_id,
            actor: r.actor,
            ip: r.ip,
            user_agent: r.user_agent,
            request_id: r.request_id,
            details: r.details,
          }),
        );
      });
    },
    count(window: CountWindow) {
      // The time index bounds the scan to the window; the grouping is small (types × outcomes).
      const sql = `SELECT type, outcome, count(*)::int AS count FROM security_events
        WHERE occurred_at >= $1 AND occurred_at < $2 GROUP BY type, outcome ORDER BY type, outcome`;
      const params = [new Date(window.since).toISOString(), new Date(window.until).toISOString()];
      return withPostgres(deps, 'audit log count', async (db) => {
        const res = await poolOf(db).query(sql, params);
        return res.rows.map((r) => ({ type: r.type, outcome: r.outcome, count: Number(r.count) }));
      });
    },
  };
}
