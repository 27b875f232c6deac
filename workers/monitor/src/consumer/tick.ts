/**
 * One tick of the monitor's loop: drain the stream (consume.ts), send the webhooks that are due (sender.ts), prune
 * the audit log at most once a minute, and report the consumer lag. Returns how long to wait before the next tick:
 * at once while a backlog remains, MONITOR_TICK_MS after work, MONITOR_IDLE_TICK_MS when idle.
 */
import { logError } from '../../../../shared/dependencies.js';
import type { MetricsRegistry } from '../../../../shared/metrics.js';
import type { MonitorServices } from '../services.js';
import { deliverDue, type SendReport } from '../webhooks/sender.js';
import { consumeStream, type TickReport } from './consume.js';

const PRUNE_EVERY_MS = 60_000;
const PRUNE_SLICE = 5_000;
let prunedAt = 0;

export interface TickResult {
  consumed?: TickReport;
  sent?: SendReport;
  lag?: number | null;
  nextInMs: number;
}

export async function runTick(services: MonitorServices, metrics: MetricsRegistry | undefined): Promise<TickResult> {
  const { config } = services;
  const result: TickResult = { nextInMs: config.MONITOR_IDLE_TICK_MS };
  let busy = false;
  try {
    const consumed = await consumeStream(services.consumer);
    result.consumed = consumed;
    busy = consumed.entries > 0;
    if (metrics && consumed.entries > 0) {
      metrics.inc('monitor_stream_entries_total', 'Stream entries consumed', {}, consumed.entries);
      metrics.inc(
        'monitor_events_processed_total',
        'Events new to the audit log, run through the detectors',
        {},
        consumed.processed,
      );
      metrics.inc('monitor_events_duplicate_total', 'Events processed before (redelivery)', {}, consumed.duplicates);
      metrics.inc(
        'monitor_events_malformed_total',
        'Events (or whole entries) that did not decode (acknowledged, logged)',
        {},
        consumed.malformed,
      );
      metrics.inc('monitor_alerts_created_total', 'Alerts opened', {}, consumed.alertsCreated);
    }
    if (consumed.backlog) result.nextInMs = 0;
  } catch (err) {
    logError('monitor', 'stream consumption failed', err);
  }
  try {
    const lag = await services.consumer.stream.lag();
    result.lag = lag.lag;
    if (metrics) {
      if (lag.lag !== null)
        metrics.setGauge('monitor_consumer_lag', 'Stream entries not yet delivered to the consumer group', {}, lag.lag);
      metrics.setGauge('monitor_consumer_pending', 'Entries delivered but not yet acknowledged', {}, lag.pending);
    }
  } catch (err) {
    logError('monitor', 'consumer lag unavailable', err);
  }
  try {
    const sent = await deliverDue(services.sender);
    result.sent = sent;
    if (sent.attempted > 0 || sent.held > 0) busy = true;
    if (metrics && sent.attempted > 0) {
      metrics.inc(
        'monitor_webhook_attempts_total',
        'Webhook delivery attempts',
        { outcome: 'delivered' },
        sent.delivered,
      );
      metrics.inc('monitor_webhook_attempts_total', 'Webhook delivery attempts', { outcome: 'failed' }, sent.failed);
    }
  } catch (err) {
    logError('monitor', 'webhook delivery failed', err);
  }
  if (Date.now() - prunedAt >= PRUNE_EVERY_MS) {
    prunedAt = Date.now();
    try {
      await services.consumer.store.pruneEvents(config.MONITOR_EVENT_RETENTION_DAYS, PRUNE_SLICE);
    } catch (err) {
      logError('monitor', 'audit log pruning failed', err);
    }
  }
  if (result.nextInMs !== 0 && busy) result.nextInMs = config.MONITOR_TICK_MS;
  return result;
}
