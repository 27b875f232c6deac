/**
 * What the consumer needs from storage for one batch: a transaction in which the audit log, the detectors' state,
 * the alerts and the queued webhook messages change together or not at all (consumer/consume.ts).
 */
import type { Alert } from '../../alerts/domain/deduplicate.js';
import type { DetectorStates } from '../../detectors/domain/pipeline.js';
import type { MonitorEvent } from '../../events/domain/decode.js';
import type { WebhookEndpoint } from '../../webhooks/domain/endpoint.js';
import type { QueuedMessage } from './batch.js';

export interface BatchTransaction {
  /** Locks the consumer group's state row (serialising batches across replicas) and returns the stored state. */
  lockDetectorState(): Promise<DetectorStates | null>;
  /** Adds events to the audit log; returns the ids actually inserted (the others were there already). */
  insertEvents(events: readonly { event: MonitorEvent; actor: string | undefined }[]): Promise<Set<string>>;
  /** The latest unresolved alert per dedup key among `keys`. */
  openAlerts(keys: readonly string[]): Promise<Map<string, Alert>>;
  enabledEndpoints(): Promise<WebhookEndpoint[]>;
  saveAlerts(alerts: readonly Alert[]): Promise<void>;
  /** Queues deliveries; a message already queued for its endpoint is not queued again. */
  queueMessages(messages: readonly QueuedMessage[]): Promise<void>;
  saveDetectorState(states: DetectorStates, lastEntryId: string | undefined): Promise<void>;
}

export interface BatchStore {
  /** Runs `fn` in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: BatchTransaction) => Promise<T>): Promise<T>;
  /** Deletes at most `limit` audit-log events older than `retentionDays`; returns how many. */
  pruneEvents(retentionDays: number, limit: number): Promise<number>;
}
