/**
 * The consumer's Postgres side (consumer/domain/batch-store.ts): one transaction per batch on one pooled
 * connection. `lockDetectorState` locks the consumer group's `monitor_state` row first (FOR UPDATE), which
 * serialises batches across replicas; events go into the audit log with ON CONFLICT DO NOTHING, and the caller
 * runs only the inserted ones through the detectors.
 */
import type { Dependencies } from '../../../../../shared/dependencies.js';
import type { Alert } from '../../alerts/domain/deduplicate.js';
import { type AlertRow, alertFromRow, alertRecord, UPSERT_ALERTS } from '../../alerts/storage/alert-rows.js';
import type { DetectorStates } from '../../detectors/domain/pipeline.js';
import type { MonitorEvent } from '../../events/domain/decode.js';
import { type EndpointRow, endpointFromRow } from '../../webhooks/storage/endpoint-rows.js';
import type { QueuedMessage } from '../domain/batch.js';
import type { BatchStore, BatchTransaction } from '../domain/batch-store.js';
import { type PoolClient, poolOf, type Query } from './sql.js';

function eventRecord(e: MonitorEvent, actor: string | undefined): Record<string, unknown> {
  return {
    event_id: e.eventId,
    occurred_at: new Date(e.time).toISOString(),
    type: e.type,
    outcome: e.outcome,
    service: e.service,
    client_id: e.clientId ?? null,
    user_id: e.userId ?? null,
    ip: e.ip ?? null,
    user_agent: e.userAgent ?? null,
    request_id: e.requestId ?? null,
    details: e.location ? { ...e.details, location: e.location } : e.details,
    actor: actor ?? null,
    entry_id: e.entryId,
  };
}

function transactionOn(q: Query, group: string): BatchTransaction {
  return {
    async lockDetectorState() {
      await q('INSERT INTO monitor_state (name) VALUES ($1) ON CONFLICT DO NOTHING', [group]);
      const row = (await q('SELECT detector_state FROM monitor_state WHERE name = $1 FOR UPDATE', [group])).rows[0];
      const state = row?.detector_state as DetectorStates | undefined;
      return state && Object.keys(state).length > 0 ? state : null;
    },
    async insertEvents(events) {
      if (events.length === 0) return new Set();
      const res = await q(
        `INSERT INTO security_events (event_id, occurred_at, type, outcome, service, client_id, user_id, ip,
           user_agent, request_id, details, actor, entry_id)
         SELECT r.event_id, r.occurred_at, r.type, r.outcome, r.service, r.client_id, r.user_id, r.ip,
           r.user_agent, r.request_id, r.details, r.actor, r.entry_id
         FROM jsonb_populate_recordset(null::security_events, $1::jsonb) AS r
         ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
        [JSON.stringify(events.map((e) => eventRecord(e.event, e.actor)))],
      );
      return new Set(res.rows.map((r) => r.event_id as string));
    },
    async openAlerts(keys) {
      if (keys.length === 0) return new Map();
      const res = await q(
        `SELECT DISTINCT ON (dedup_key) * FROM alerts WHERE dedup_key = ANY($1::text[]) AND status <> 'resolved'
         ORDER BY dedup_key, last_seen DESC`,
        [keys],
      );
      return new Map<string, Alert>(res.rows.map((r) => [r.dedup_key as string, alertFromRow(r as AlertRow)]));
    },
    async enabledEndpoints() {
      const res = await q('SELECT * FROM webhook_endpoints WHERE disabled_at IS NULL');
      return res.rows.map((r) => endpointFromRow(r as EndpointRow));
    },
    async saveAlerts(alerts) {
      if (alerts.length > 0) await q(UPSERT_ALERTS, [JSON.stringify(alerts.map(alertRecord))]);
    },
    async queueMessages(messages: readonly QueuedMessage[]) {
      if (messages.length === 0) return;
      await q(
        `INSERT INTO webhook_deliveries (id, endpoint_id, msg_id, alert_id, type, payload, next_attempt_at)
         SELECT gen_random_uuid()::text, m.endpoint_id, m.msg_id, m.alert_id, m.type, m.payload, now()
         FROM jsonb_to_recordset($1::jsonb) AS m(endpoint_id text, msg_id text, alert_id text, type text,
           payload text)
         ON CONFLICT (endpoint_id, msg_id) DO NOTHING`,
        [
          JSON.stringify(
            messages.map((m) => ({
              endpoint_id: m.endpointId,
              msg_id: m.msgId,
              alert_id: m.alertId,
              type: m.type,
              payload: m.payload,
            })),
          ),
        ],
      );
    },
    async saveDetectorState(states, lastEntryId) {
      await q(
        `UPDATE monitor_state SET detector_state = $2::jsonb, last_entry_id = COALESCE($3, last_entry_id),
           updated_at = now() WHERE name = $1`,
        [group, JSON.stringify(states), lastEntryId ?? null],
      );
    },
  };
}

export function postgresBatchStore(deps: Dependencies, group: string): BatchStore {
  return {
    transaction(fn) {
      return deps.pg.withDb(async (db) => {
        const client: PoolClient = await poolOf(db).connect();
        const q: Query = (text, params) => client.query(text, params);
        try {
          await q('BEGIN');
          const result = await fn(transactionOn(q, group));
          await q('COMMIT');
          return result;
        } catch (err) {
          await q('ROLLBACK').catch(() => {});
          throw err;
        } finally {
          client.release();
        }
      });
    },
    pruneEvents(retentionDays, limit) {
      return deps.pg.withDb(async (db) => {
        const res = await poolOf(db).query(
          `DELETE FROM security_events WHERE event_id IN (
             SELECT event_id FROM security_events WHERE occurred_at < now() - make_interval(days => $1) LIMIT $2)`,
          [retentionDays, limit],
        );
        return res.rowCount ?? 0;
      });
    },
  };
}
