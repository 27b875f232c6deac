/** Alerts in Postgres for the monitor API (alerts/domain/alert-store.ts). */
import type { Dependencies } from '../../../../../shared/dependencies.js';
import { withPostgres } from '../../../../../shared/dependencies.js';
import { poolOf } from '../../consumer/storage/sql.js';
import type { AlertFilter, AlertStore } from '../domain/alert-store.js';
import { type AlertRow, alertFromRow } from './alert-rows.js';

export function postgresAlertStore(deps: Dependencies): AlertStore {
  return {
    list(f: AlertFilter) {
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (clause: (n: number) => string, value: unknown) => {
        params.push(value);
        where.push(clause(params.length));
      };
      if (f.status) add((n) => `status = ANY($${n}::text[])`, f.status);
      if (f.severity) add((n) => `severity = ANY($${n}::text[])`, f.severity);
      if (f.detector !== undefined) add((n) => `detector = $${n}`, f.detector);
      if (f.kind !== undefined) add((n) => `kind = $${n}`, f.kind);
      if (f.since !== undefined) add((n) => `last_seen >= $${n}`, new Date(f.since).toISOString());
      if (f.until !== undefined) add((n) => `last_seen < $${n}`, new Date(f.until).toISOString());
      params.push(f.limit);
      const sql = `SELECT * FROM alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY last_seen DESC, id LIMIT $${params.length}`;
      return withPostgres(deps, 'alerts list', async (db) =>
        (await poolOf(db).query(sql, params)).rows.map((r) => alertFromRow(r as AlertRow)),
      );
    },
    get(id) {
      return withPostgres(deps, 'alert read', async (db) => {
        const row = (await poolOf(db).query('SELECT * FROM alerts WHERE id = $1', [id])).rows[0];
        return row ? alertFromRow(row as AlertRow) : null;
      });
    },
    saveStatus(previous, next) {
      const iso = (v: number | undefined) => (v === undefined ? null : new Date(v).toISOString());
      return withPostgres(deps, 'alert update', async (db) => {
        const res = await poolOf(db).query(
          `UPDATE alerts SET status = $3, acknowledged_at = $4, acknowledged_by = $5, resolved_at = $6,
             resolved_by = $7, updated_at = now() WHERE id = $1 AND status = $2`,
          [
            previous.id,
            previous.status,
            next.status,
            iso(next.acknowledgedAt),
            next.acknowledgedBy ?? null,
            iso(next.resolvedAt),
            next.resolvedBy ?? null,
          ],
        );
        return (res.rowCount ?? 0) === 1;
      });
    },
  };
}
