/**
 * Webhook payloads for alerts, in the shape the Standard Webhooks specification recommends:
 * `{ type, timestamp, data }`, minified JSON, kept small (well under the recommended 20 kB).
 */
import type { Alert, AlertChange } from '../../alerts/domain/deduplicate.js';

export type AlertWebhookType = 'alert.created' | 'alert.escalated';

export const MAX_PAYLOAD_BYTES = 16_384;

export interface AlertWebhook {
  type: AlertWebhookType;
  msgId: string;
  payload: string;
}

/** Which alert changes are announced: creation and escalation, not every repeat. */
export function webhookTypeFor(change: AlertChange): AlertWebhookType | null {
  if (change.action === 'created') return 'alert.created';
  return change.escalated ? 'alert.escalated' : null;
}

function data(alert: Alert, withEventIds: boolean) {
  return {
    id: alert.id,
    kind: alert.kind,
    detector: alert.detector,
    severity: alert.severity,
    status: alert.status,
    summary: alert.summary,
    subject: alert.subject,
    count: alert.count,
    first_seen: new Date(alert.firstSeen).toISOString(),
    last_seen: new Date(alert.lastSeen).toISOString(),
    evidence: alert.evidence,
    ...(withEventIds ? { event_ids: [...alert.firstEventIds, ...alert.lastEventIds] } : {}),
  };
}

/**
 * The webhook for an alert change, or null when the change is not announced. The message id is derived from the
 * alert id, type and count, so a re-run of the same batch produces the same id and receivers drop the duplicate.
 */
export function alertWebhook(change: AlertChange, now: number): AlertWebhook | null {
  const type = webhookTypeFor(change);
  if (!type) return null;
  const alert = change.alert;
  const msgId = `msg_${alert.id.replace(/[^A-Za-z0-9_-]/g, '')}_${type === 'alert.created' ? 'c' : 'e'}${alert.count}`;
  const body = (withEventIds: boolean) =>
    JSON.stringify({ type, timestamp: new Date(now).toISOString(), data: data(alert, withEventIds) });
  let payload = body(true);
  if (new TextEncoder().encode(payload).length > MAX_PAYLOAD_BYTES) payload = body(false);
  return { type, msgId, payload };
}
