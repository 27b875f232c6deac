/**
 * The `security-events` stream as the consumer group `MONITOR_GROUP` reads it, through the Upstash REST protocol
 * (raw commands, so replies keep Redis's own shape). Never `BLOCK`: the bridge refuses it on its shared connection
 * and a blocked REST call would hold the alarm tick; the alarm loop polls instead.
 */
import { SECURITY_EVENTS_STREAM } from '../../../../../shared/events/event.js';
import type { StreamFields } from '../domain/decode.js';

export type StreamEntry = readonly [string, StreamFields];

interface RestConfig {
  UPSTASH_REDIS_REST_URL: string;
  UPSTASH_REDIS_REST_TOKEN: string;
  REDIS_KEY_PREFIX: string;
}

export class StreamError extends Error {}

export class EventStream {
  readonly key: string;
  private groupReady = false;

  constructor(
    private readonly config: RestConfig,
    readonly group: string,
    readonly consumer: string,
    private readonly timeoutMs: number,
  ) {
    this.key = config.REDIS_KEY_PREFIX + SECURITY_EVENTS_STREAM;
  }

  private async call(args: (string | number)[]): Promise<unknown> {
    const res = await fetch(this.config.UPSTASH_REDIS_REST_URL, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.config.UPSTASH_REDIS_REST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(args.map(String)),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const body = (await res.json().catch(() => null)) as { result?: unknown; error?: string } | null;
    if (!res.ok || !body || body.error !== undefined)
      throw new StreamError(`redis ${String(args[0])}: ${body?.error ?? `HTTP ${res.status}`}`);
    return body.result;
  }

  /** Creates the group (reading from the stream's start) and the stream if missing; once per isolate. */
  async ensureGroup(): Promise<void> {
    if (this.groupReady) return;
    try {
      await this.call(['XGROUP', 'CREATE', this.key, this.group, '0', 'MKSTREAM']);
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
    this.groupReady = true;
  }

  /** Entries delivered to consumers that died, idle at least `minIdleMs`, now this consumer's. */
  async claimStale(minIdleMs: number, count: number): Promise<{ entries: StreamEntry[]; deleted: string[] }> {
    const reply = (await this.call([
      'XAUTOCLAIM',
      this.key,
      this.group,
      this.consumer,
      minIdleMs,
      '0-0',
      'COUNT',
      count,
    ])) as [string, [string, string[] | null][], string[]?];
    // Entries trimmed away while pending come back as [id, null] (Redis 7 lists them in the third element too).
    const entries: StreamEntry[] = [];
    const deleted = [...(reply[2] ?? [])];
    for (const [id, fields] of reply[1] ?? []) {
      if (fields === null) deleted.push(id);
      else entries.push([id, fields]);
    }
    return { entries, deleted };
  }

  /** One XREADGROUP of this consumer: from `>` (entries never delivered) or `0` (its own, not acknowledged). */
  private async readGroup(from: '>' | '0', count: number): Promise<[string, string[] | null][]> {
    const reply = (await this.call([
      'XREADGROUP',
      'GROUP',
      this.group,
      this.consumer,
      'COUNT',
      count,
      'STREAMS',
      this.key,
      from,
    ])) as [string, [string, string[] | null][]][] | null;
    return reply?.[0]?.[1] ?? [];
  }

  /** Entries never delivered to any consumer of the group. */
  async readNew(count: number): Promise<StreamEntry[]> {
    return (await this.readGroup('>', count)).map(([id, fields]) => [id, fields as StreamFields] as const);
  }

  /**
   * Entries this consumer read before and never acknowledged (a batch whose transaction failed, say): retried at
   * once rather than after the claim idle time. Entries trimmed away meanwhile come back without fields.
   */
  async readOwnPending(count: number): Promise<{ entries: StreamEntry[]; deleted: string[] }> {
    const entries: StreamEntry[] = [];
    const deleted: string[] = [];
    for (const [id, fields] of await this.readGroup('0', count)) {
      if (fields === null || fields.length === 0) deleted.push(id);
      else entries.push([id, fields]);
    }
    return { entries, deleted };
  }

  async ack(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.call(['XACK', this.key, this.group, ...ids]);
  }

  /** Keeps the stream near `maxLen` entries (MAXLEN ~: whole macro nodes only, cheap). */
  async trim(maxLen: number): Promise<void> {
    await this.call(['XTRIM', this.key, 'MAXLEN', '~', maxLen]);
  }

  /** The group's lag (entries not yet delivered) and pending count (delivered, not acknowledged). */
  async lag(): Promise<{ lag: number | null; pending: number }> {
    const groups = (await this.call(['XINFO', 'GROUPS', this.key])) as unknown[][];
    for (const g of groups ?? []) {
      const info: Record<string, unknown> = {};
      for (let i = 0; i + 1 < g.length; i += 2) info[String(g[i])] = g[i + 1];
      if (info.name === this.group) {
        const lag = info.lag === null || info.lag === undefined ? null : Number(info.lag);
        return { lag, pending: Number(info.pending ?? 0) };
      }
    }
    return { lag: null, pending: 0 };
  }
}
