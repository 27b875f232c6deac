/** Webhook deliveries and attempts in Postgres (webhooks/domain/delivery-store.ts). */
import type { Dependencies } from '../../../../../shared/dependencies.js';
import { poolOf, type Query } from '../../consumer/storage/sql.js';
import type { BreakerState } from '../domain/circuit-breaker.js';
import type { Delivery } from '../domain/delivery.js';
import type { DeliverySession, DeliveryStore, DueDelivery } from '../domain/delivery-store.js';
import { type EndpointRow, endpointFromRow } from './endpoint-rows.js';

export interface DeliveryRow {
  id: string;
  endpoint_id: string;
  msg_id: string;
  alert_id: string;
  type: string;
  payload: string;
  status: string;
  attempts: number;
  next_attempt_at: string | Date;
  dead_reason: string | null;
  created_at: string | Date;
  updated_at: string | Date;
}

export function deliveryFromRow(r: DeliveryRow): Delivery {
  const d: Delivery = {
    id: r.id,
    endpointId: r.endpoint_id,
    msgId: r.msg_id,
    createdAt: new Date(r.created_at).getTime(),
    attempts: Number(r.attempts),
    status: r.status as Delivery['status'],
    nextAttemptAt: new Date(r.next_attempt_at).getTime(),
  };
  if (r.dead_reason) d.deadReason = r.dead_reason as NonNullable<Delivery['deadReason']>;
  return d;
}

const iso = (ms: number) => new Date(ms).toISOString();

function sessionOn(q: Query): DeliverySession {
  return {
    async claimDue(now, limit, leaseMs) {
      const res = await q(
        `WITH due AS (
           SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
           WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND e.disabled_at IS NULL
           ORDER BY d.next_attempt_at, d.created_at LIMIT $2 FOR UPDATE OF d SKIP LOCKED)
         UPDATE webhook_deliveries d SET next_attempt_at = $3, updated_at = now() FROM due WHERE d.id = due.id
         RETURNING d.*`,
        [iso(now), limit, iso(now + leaseMs)],
      );
      if (res.rows.length === 0) return [];
      const rows = (res.rows as DeliveryRow[]).sort(
        (a, b) => new Date(a.created_at).getTime() - new Date(b.created_at).getTime(),
      );
      const endpointIds = [...new Set(rows.map((r) => r.endpoint_id))];
      const endpoints = new Map(
        (
          (await q('SELECT * FROM webhook_endpoints WHERE id = ANY($1::text[])', [endpointIds])).rows as EndpointRow[]
        ).map((r) => [r.id, r]),
      );
      const out: DueDelivery[] = [];
      for (const r of rows) {
        const e = endpoints.get(r.endpoint_id);
        if (!e) continue;
        // The claim moved next_attempt_at; the domain sees the time it was due.
        out.push({
          delivery: { ...deliveryFromRow(r), nextAttemptAt: now },
          payload: r.payload,
          endpoint: endpointFromRow(e),
          breaker: e.breaker,
        });
      }
      return out;
    },
    async save(d, attempt) {
      if (attempt)
        await q(
          `INSERT INTO webhook_attempts (delivery_id, attempt, endpoint_id, at, duration_ms, outcome, status, detail,
             next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
          [
            attempt.deliveryId,
            attempt.attempt,
            attempt.endpointId,
            iso(attempt.at),
            attempt.durationMs,
            attempt.outcome,
            attempt.status ?? null,
            attempt.detail ?? null,
            attempt.nextAttemptAt === undefined ? null : iso(attempt.nextAttemptAt),
          ],
        );
      await q(
        `UPDATE webhook_deliveries SET status = $2, attempts = $3, next_attempt_at = $4, dead_reason = $5,
           created_at = $6, updated_at = now() WHERE id = $1`,
        [d.id, d.status, d.attempts, iso(d.nextAttemptAt), d.deadReason ?? null, iso(d.createdAt)],
      );
    },
    async saveBreaker(endpointId, breaker: BreakerState) {
      await q('UPDATE webhook_endpoints SET breaker = $2::jsonb, updated_at = now() WHERE id = $1', [
        endpointId,
        JSON.stringify(breaker),
      ]);
    },
    async disableEndpoint(endpointId, reason, now) {
      await q('UPDATE webhook_endpoints SET disabled_at = $2, disabled_reason = $3, updated_at = now() WHERE id = $1', [
        endpointId,
        iso(now),
        reason,
      ]);
      await q(
        `UPDATE webhook_deliveries SET status = 'dead', dead_reason = 'endpoint_disabled', updated_at = now()
         WHERE endpoint_id = $1 AND status = 'pending'`,
        [endpointId],
      );
    },
  };
}

export function postgresDeliveryStore(deps: Dependencies): DeliveryStore {
  return {
    session(fn) {
      return deps.pg.withDb((db) => fn(sessionOn(poolOf(db).query.bind(poolOf(db)) as Query)));
    },
  };
}
