/**
 * The batched security-event sink every Worker writes through (shared/events/sink.ts), on the real Redis stream:
 * events queued together leave in one flush (one waitUntil, one pipeline), each with its own id, in order.
 */
import { describe, expect, it } from 'vitest';
import { EVENT_FIELD, fromStreamFields } from '../../../shared/events/event.js';
import { redisEventSink } from '../../../shared/events/sink.js';
import { redisClientOf, useDataPlane } from './setup.js';

const plane = useDataPlane('auth');

describe('security-event sink', () => {
  it('batches the events of concurrent requests into one flush, keeping each event', async () => {
    const { dp } = plane;
    const sink = redisEventSink(redisClientOf(dp, 'auth'), 'auth');
    const pending: Promise<unknown>[] = [];
    const ctx = { waitUntil: (p: Promise<unknown>) => void pending.push(p) };
    const emitted = ['a', 'b', 'c'].map((id) =>
      sink.emit({ type: 'token.issued', outcome: 'success', client_id: id, ip: '192.0.2.1' }, ctx),
    );
    expect(pending).toHaveLength(1);
    await Promise.all(pending);
    const raw = (await dp.redis.xrange(`${dp.redisPrefix}security-events`, '-', '+')) as unknown as [
      string,
      string[],
    ][];
    // One field per entry, the event's JSON (shared/events/event.ts): one XADD argument pair, not one per property.
    expect(raw.map(([, fields]) => fields.length === 2 && fields[0] === EVENT_FIELD)).toEqual([true, true, true]);
    const events = raw.map(([, fields]) => {
      const record: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) record[fields[i] as string] = fields[i + 1] as string;
      return fromStreamFields(record);
    });
    expect(events.map((e) => e.client_id)).toEqual(['a', 'b', 'c']);
    expect(new Set(events.map((e) => e.event_id)).size).toBe(3);
    expect(events.map((e) => e.event_id)).toEqual(emitted.map((e) => e.event_id));
    expect(events.every((e) => e.service === 'auth' && e.ip === '192.0.2.1')).toBe(true);
    // The next event starts a new batch.
    sink.emit({ type: 'token.revoked', outcome: 'success' }, ctx);
    expect(pending).toHaveLength(2);
    await Promise.all(pending);
  });
});
