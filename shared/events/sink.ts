/**
 * The batched security-event sink every Worker writes through.
 *
 * Events are written after the response, batched per sink (one per Worker and env): the first event of a batch
 * schedules one flush (in its request's `waitUntil`) FLUSH_MS later, and every event queued meanwhile rides along
 * in the same stream entry (at most MAX_EVENTS_PER_ENTRY events and MAX_ENTRY_CHARS characters each, event.ts) and
 * the same pipeline request (MAX_REQUEST_CHARS). One XADD round trip per token was the largest cost of the token
 * endpoint under load; this makes it one round trip and one XADD per batch. Each event keeps its own id and time.
 * The queue is bounded: past MAX_QUEUED the
 * oldest are dropped (and counted in the log) rather than growing the isolate's memory. A failed write is logged,
 * never thrown: an event must not fail the request it describes.
 */
import type { RedisClient } from '../redis.js';
import {
  buildSecurityEvent,
  EVENTS_FIELD,
  type EventsEntry,
  SECURITY_EVENTS_STREAM,
  type SecurityEvent,
  type SecurityEventInput,
  streamMaxLenFor,
  toStreamEntries,
} from './event.js';

/** The part of an ExecutionContext a sink needs: work that may outlive the response. */
export interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void;
}

export interface EventSink {
  /** Queues an event for the stream; returns it as it will be written. */
  emit(input: SecurityEventInput, ctx: WaitUntil): SecurityEvent;
}

/**
 * How long a batch gathers events. Each flush is one subrequest and one request on the REST API, with a fixed
 * cost on both sides; under token load, 100 ms instead of 20 ms cut the events' share of the token endpoint's CPU
 * by about 45% (about 7.7 of 17 µs per token, the bridge's share included). The monitor sees an event at most this
 * much later, far below its detection windows.
 */
export const FLUSH_MS = 100;
export const MAX_QUEUED = 10_000;
/**
 * Characters of entries per pipeline request: with JSON's escaping, well within the Redis REST bridge's 1 MiB body
 * limit (Upstash allows 10 MB), so a flush of large events is written in several requests rather than refused.
 */
export const MAX_REQUEST_CHARS = 512 * 1024;

function logError(service: string, msg: string, extra: Record<string, unknown>): void {
  console.log(JSON.stringify({ level: 'error', service, msg, ...extra }));
}

/** Entries grouped into pipeline requests of at most MAX_REQUEST_CHARS (a larger entry goes alone), in order. */
export function pipelineRequests<E extends { value: string }>(entries: readonly E[]): E[][] {
  const requests: E[][] = [];
  let current: E[] = [];
  let chars = 0;
  for (const entry of entries) {
    if (current.length > 0 && chars + entry.value.length > MAX_REQUEST_CHARS) {
      requests.push(current);
      current = [];
      chars = 0;
    }
    current.push(entry);
    chars += entry.value.length;
  }
  if (current.length > 0) requests.push(current);
  return requests;
}

/** The sink on the Redis stream `security-events` (under REDIS_KEY_PREFIX). */
export function redisEventSink(client: RedisClient, service: string): EventSink {
  const stream = client.key(SECURITY_EVENTS_STREAM);
  let queued: SecurityEvent[] = [];
  let flushScheduled = false;
  let dropped = 0;
  // Each XADD trims for the size of its own entry (streamMaxLenFor).
  const xadd = ({ value, count }: EventsEntry): string[] => [
    'XADD',
    stream,
    'MAXLEN',
    '~',
    String(streamMaxLenFor(count)),
    '*',
    EVENTS_FIELD,
    value,
  ];

  const write = async (events: SecurityEvent[]): Promise<void> => {
    let written = 0;
    try {
      // One request at a time, in order, so the stream keeps the events' order. Plain REST pipelines
      // (shared/redis.ts): the client library's per-command objects cost more than the XADDs.
      for (const request of pipelineRequests(toStreamEntries(events))) {
        await client.pipeline(request.map(xadd));
        for (const entry of request) written += entry.count;
      }
    } catch (err) {
      const count = events.length - written;
      logError(service, 'security event write failed', { count, error: (err as Error).message });
    }
  };

  const flush = async (): Promise<void> => {
    await new Promise((resolve) => setTimeout(resolve, FLUSH_MS));
    const batch = queued;
    queued = [];
    flushScheduled = false;
    if (dropped > 0) {
      logError(service, 'security events dropped', { count: dropped });
      dropped = 0;
    }
    await write(batch);
  };

  return {
    emit(input, ctx) {
      const event = buildSecurityEvent(service, input);
      if (queued.length >= MAX_QUEUED) {
        queued.shift();
        dropped++;
      }
      queued.push(event);
      if (!flushScheduled) {
        flushScheduled = true;
        ctx.waitUntil(flush());
      }
      return event;
    },
  };
}

/**
 * Sampling for events a flood could repeat (a refused request, say): at most one event per key and interval; the
 * ones held back are counted and reported with the next, or, when no next one comes, by one trailing event at the
 * interval's end (`trailingDelay`, `takeSuppressed`): a burst shorter than the interval is still counted in full.
 * Bounded: past `maxKeys` keys it starts afresh.
 */
export class EventSampler {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly intervalMs = 1000,
    private readonly maxKeys = 10_000,
  ) {}

  /** The number of events held back since the last one for `key`, or undefined when this one is held back too. */
  admit(key: string, now: number): number | undefined {
    const seen = this.last.get(key);
    if (seen && now - seen.at < this.intervalMs) {
      seen.suppressed += 1;
      return undefined;
    }
    if (this.last.size >= this.maxKeys) this.last.clear();
    this.last.set(key, { at: now, suppressed: 0 });
    return seen?.suppressed ?? 0;
  }

  /**
   * After `admit` held an event back: the milliseconds until its interval ends when it was the FIRST held back in
   * that interval (the caller then schedules one trailing report), otherwise undefined (one is scheduled already).
   */
  trailingDelay(key: string, now: number): number | undefined {
    const seen = this.last.get(key);
    if (seen?.suppressed !== 1) return undefined;
    return Math.max(0, seen.at + this.intervalMs - now);
  }

  /** The held-back count of `key` not reported yet, and resets it (0: `admit` reported them with a later event). */
  takeSuppressed(key: string): number {
    const seen = this.last.get(key);
    if (!seen) return 0;
    const held = seen.suppressed;
    seen.suppressed = 0;
    return held;
  }
}
