/**
 * The stream consumer: one call drains up to MONITOR_BATCHES_PER_TICK batches of the `security-events` stream
 * through the consumer group. A batch is about MONITOR_BATCH_SIZE events: an entry holds a batch of events of one
 * emitter's flush (shared/events/event.ts), so each read asks for as many entries as the last read's entries
 * held events for. Per batch:
 *
 *   1. this consumer's own unacknowledged entries (XREADGROUP `0`: a batch that failed), XAUTOCLAIM of entries
 *      idle for MONITOR_CLAIM_IDLE_MS (delivered to a consumer that died), then new ones (XREADGROUP `>`);
 *   2. decode them (malformed events are logged, counted and acknowledged: they would never decode);
 *   3. one Postgres transaction per MONITOR_BATCH_SIZE events (consumer/storage/batch-store.ts; one, unless the
 *      read held more events than foreseen): lock the group's state row, add the events to the audit log (ON
 *      CONFLICT DO NOTHING), run the detectors over the events actually inserted, join or open alerts, queue webhook
 *      messages, save the detectors' state; commit;
 *   4. XACK, then trim the stream (MAXLEN ~).
 *
 * At least once from Redis, exactly once in effect: a consumer killed before the commit left nothing behind, and
 * its entries are claimed and processed in full by the next tick; killed after the commit but before XACK, the
 * replayed entries are already in the audit log, so they are acknowledged without being counted again.
 */
import { logError } from '../../../../shared/dependencies.js';
import type { DedupConfig } from '../alerts/domain/deduplicate.js';
import type { DetectorConfigs } from '../detectors/domain/pipeline.js';
import { initialDetectorStates, runDetectors } from '../detectors/domain/pipeline.js';
import { decodeStreamEntries, type MonitorEvent } from '../events/domain/decode.js';
import type { EventStream, StreamEntry } from '../events/storage/stream.js';
import { actorOf, alertsFromFindings } from './domain/batch.js';
import type { BatchStore } from './domain/batch-store.js';

export interface ConsumerSettings {
  batchSize: number;
  batchesPerTick: number;
  claimIdleMs: number;
  maxLen: number;
  retentionDays: number;
  detectors: DetectorConfigs;
  dedup: DedupConfig;
}

export interface TickReport {
  entries: number;
  /** Events new to the audit log. */
  processed: number;
  duplicates: number;
  malformed: number;
  claimed: number;
  findings: number;
  alertsCreated: number;
  alertsUpdated: number;
  messages: number;
  /** Whether the last batch was full (more is waiting). */
  backlog: boolean;
}

export interface ConsumerDeps {
  stream: EventStream;
  store: BatchStore;
  settings: ConsumerSettings;
  service: string;
  /** Called with every batch's timing (metrics). */
  observe?: (report: TickReport, seconds: number) => void;
  /** Events per entry in the last read, which sizes the next read (isolate state; starts at 1). */
  readSizing: { eventsPerEntry: number };
}

/** Stream entry ids compare as (ms, seq) pairs. */
function entryIdMax(ids: readonly string[]): string | undefined {
  let best: [bigint, bigint] | undefined;
  let text: string | undefined;
  for (const id of ids) {
    const [a, b] = id.split('-');
    const v: [bigint, bigint] = [BigInt(a ?? '0'), BigInt(b ?? '0')];
    if (!best || v[0] > best[0] || (v[0] === best[0] && v[1] > best[1])) {
      best = v;
      text = id;
    }
  }
  return text;
}

/** Entries to read for about `batchSize` events, going by what the last read's entries held. */
function entriesToRead(deps: ConsumerDeps): number {
  return Math.max(1, Math.floor(deps.settings.batchSize / deps.readSizing.eventsPerEntry));
}

async function processEntries(deps: ConsumerDeps, entries: readonly StreamEntry[], report: TickReport, now: number) {
  const { events, malformed } = decodeStreamEntries(entries);
  deps.readSizing.eventsPerEntry = Math.max(1, (events.length + malformed.length) / entries.length);
  for (const m of malformed) logError(deps.service, 'malformed security event', new Error(m.message), { ...m });
  report.malformed += malformed.length;
  const { batchSize } = deps.settings;
  // One transaction per batchSize events; the last one also records the read's last entry (malformed ones too).
  for (let i = 0; i === 0 || i < events.length; i += batchSize) {
    const slice = events.slice(i, i + batchSize);
    const last = i + batchSize >= events.length;
    const lastEntryId = last ? entryIdMax(entries.map(([id]) => id)) : slice.at(-1)?.entryId;
    await processEvents(deps, slice, lastEntryId, report, now);
  }
}

async function processEvents(
  deps: ConsumerDeps,
  events: readonly MonitorEvent[],
  lastEntryId: string | undefined,
  report: TickReport,
  now: number,
) {
  const { settings } = deps;
  const outcome = await deps.store.transaction(async (tx) => {
    const stored = await tx.lockDetectorState();
    const inserted = await tx.insertEvents(events.map((event) => ({ event, actor: actorOf(event) })));
    // Stream order, each event id once: what the audit log did not have before.
    const fresh: MonitorEvent[] = events.filter((e) => inserted.delete(e.eventId));
    const { states, findings } = runDetectors(stored ?? initialDetectorStates(), fresh, settings.detectors, now);
    let created = 0;
    let updated = 0;
    let messages = 0;
    if (findings.length > 0) {
      const current = await tx.openAlerts([...new Set(findings.map((f) => f.dedupKey))]);
      const endpoints = await tx.enabledEndpoints();
      const result = alertsFromFindings({
        findings,
        current,
        endpoints,
        dedup: settings.dedup,
        now,
        newId: () => crypto.randomUUID(),
      });
      await tx.saveAlerts(result.alerts);
      await tx.queueMessages(result.messages);
      for (const c of result.changes) c.action === 'created' ? created++ : updated++;
      messages = result.messages.length;
    }
    await tx.saveDetectorState(states, lastEntryId);
    return { fresh: fresh.length, findings: findings.length, created, updated, messages };
  });
  report.processed += outcome.fresh;
  report.duplicates += events.length - outcome.fresh;
  report.findings += outcome.findings;
  report.alertsCreated += outcome.created;
  report.alertsUpdated += outcome.updated;
  report.messages += outcome.messages;
}

/** One tick: claim, read, process and acknowledge batches until the stream is drained or the tick's budget is used. */
export async function consumeStream(deps: ConsumerDeps, now: () => number = Date.now): Promise<TickReport> {
  const { stream, settings } = deps;
  const report: TickReport = {
    entries: 0,
    processed: 0,
    duplicates: 0,
    malformed: 0,
    claimed: 0,
    findings: 0,
    alertsCreated: 0,
    alertsUpdated: 0,
    messages: 0,
    backlog: false,
  };
  await stream.ensureGroup();
  for (let i = 0; i < settings.batchesPerTick; i++) {
    const started = performance.now();
    const want = entriesToRead(deps);
    // First this consumer's own unacknowledged entries (once per tick), then those of consumers that died.
    const own = i === 0 ? await stream.readOwnPending(want) : { entries: [], deleted: [] };
    const room0 = want - own.entries.length;
    const stale = room0 > 0 ? await stream.claimStale(settings.claimIdleMs, room0) : { entries: [], deleted: [] };
    const claimed = { entries: [...own.entries, ...stale.entries], deleted: [...own.deleted, ...stale.deleted] };
    // Entries trimmed away while pending cannot be read any more: acknowledge them so they leave the pending list.
    await stream.ack(claimed.deleted);
    const room = want - claimed.entries.length;
    const fresh = room > 0 ? await stream.readNew(room) : [];
    const entries = [...claimed.entries, ...fresh];
    report.claimed += claimed.entries.length;
    report.backlog = entries.length >= want;
    if (entries.length === 0) break;
    report.entries += entries.length;
    await processEntries(deps, entries, report, now());
    await stream.ack(entries.map(([id]) => id));
    deps.observe?.(report, (performance.now() - started) / 1000);
    if (!report.backlog) break;
  }
  if (report.entries > 0) await stream.trim(settings.maxLen);
  return report;
}
