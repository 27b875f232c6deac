/**
 * One batch of the stream, from findings to alerts: the events not seen before (the audit log says which) have run
 * through the detectors (`runDetectors`); their findings update or open alerts, and announced changes become
 * webhook messages for the endpoints that want them. The storage adapter runs this inside one Postgres transaction, so the
 * audit log, the detectors' state, the alerts and the queued deliveries commit together or not at all.
 */
import { type Alert, type AlertChange, applyFindings, type DedupConfig } from '../../alerts/domain/deduplicate.js';
import type { Finding } from '../../detectors/domain/finding.js';
import type { MonitorEvent } from '../../events/domain/decode.js';
import { endpointsFor, type WebhookEndpoint } from '../../webhooks/domain/endpoint.js';
import { alertWebhook } from '../../webhooks/domain/payload.js';

export interface QueuedMessage {
  endpointId: string;
  msgId: string;
  alertId: string;
  type: string;
  payload: string;
}

export interface AlertOutcome {
  changes: AlertChange[];
  /** The latest value of every alert the findings touched. */
  alerts: Alert[];
  messages: QueuedMessage[];
}

/**
 * Step two of a batch (step one is `runDetectors`): findings join or open alerts (`current`: the latest unresolved
 * alert per dedup key the findings name), and announced changes become messages for the endpoints that want them.
 */
export function alertsFromFindings(args: {
  findings: readonly Finding[];
  current: ReadonlyMap<string, Alert>;
  endpoints: readonly WebhookEndpoint[];
  dedup: DedupConfig;
  now: number;
  newId: () => string;
}): AlertOutcome {
  const { changes, latest } = applyFindings(args.current, args.findings, args.dedup, args.now, args.newId);
  const touched = new Set(changes.map((c) => c.alert.dedupKey));
  const alerts = [...latest.values()].filter((a) => touched.has(a.dedupKey));
  const messages: QueuedMessage[] = [];
  for (const change of changes) {
    const hook = alertWebhook(change, args.now);
    if (!hook) continue;
    for (const e of endpointsFor(args.endpoints, hook.type, change.alert.severity))
      messages.push({
        endpointId: e.id,
        msgId: hook.msgId,
        alertId: change.alert.id,
        type: hook.type,
        payload: hook.payload,
      });
  }
  return { changes, alerts, messages };
}

/** The admin or actor an administrative event names (the audit log's `actor`). */
export function actorOf(event: MonitorEvent): string | undefined {
  for (const name of ['admin', 'actor']) {
    const v = event.details[name];
    if (typeof v === 'string' && v.length > 0 && v.length <= 128) return v;
  }
  return undefined;
}
