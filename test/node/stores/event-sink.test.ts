/**
 * The batched security-event sink every Worker writes through (shared/events/sink.ts), on the real Redis stream:
 * events queued together leave in one flush (one waitUntil, one pipeline), in as few entries as
 * MAX_EVENTS_PER_ENTRY allows, each event with its own id, in order.
 */
import { describe, expect, it } from 'vitest';
import { EVENTS_FIELD, fromStreamEntry, MAX_EVENTS_PER_ENTRY } from '../../../shared/events/event.js';
import { MAX_REQUEST_CHARS, redisEventSink } from '../../../shared/events/sink.js';
import { redisClientOf, useDataPlane } from './setup.js';

const plane = useDataPlane('auth');

/** The stream's entries, oldest first, as [id, field names, events]. */
async function entries() {
  const { dp } = plane;
  const raw = (await dp.redis.xrange(`${dp.redisPrefix}security-events`, '-', '+')) as unknown as [string, string[]][];
  return raw.map(([id, fields]) => {
    const record: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) record[fields[i] as string] = fields[i + 1] as string;
    return { id, names: Object.keys(record), events: fromStreamEntry(record) };
  });
}

/** A sink of its own, and the promises it hands to `waitUntil`. */
function newSink() {
  const sink = redisEventSink(redisClientOf(plane.dp, 'auth'), 'auth');
  const pending: Promise<unknown>[] = [];
  const ctx = { waitUntil: (p: Promise<unknown>) => void pending.push(p) };
  return { sink, ctx, pending };
}

describe('security-event sink', () => {
  it('writes the events of concurrent requests in one flush, as one entry, keeping each event', async () => {
    const { sink, ctx, pending } = newSink();
    const emitted = ['a', 'b', 'c'].map((id) =>
      sink.emit({ type: 'token.issued', outcome: 'success', client_id: id, ip: '192.0.2.1' }, ctx),
    );
    expect(pending).toHaveLength(1);
    await Promise.all(pending);
    const [entry, ...others] = await entries();
    expect(others).toEqual([]);
    // One XADD, one field: the batch's JSON (shared/events/event.ts).
    expect(entry?.names).toEqual([EVENTS_FIELD]);
    const events = entry?.events ?? [];
    expect(events.map((e) => e.client_id)).toEqual(['a', 'b', 'c']);
    expect(events.map((e) => e.event_id)).toEqual(emitted.map((e) => e.event_id));
    expect(new Set(events.map((e) => e.event_id)).size).toBe(3);
    expect(events.every((e) => e.service === 'auth' && e.ip === '192.0.2.1')).toBe(true);
    // The next event starts a new batch, and a new entry.
    sink.emit({ type: 'token.revoked', outcome: 'success' }, ctx);
    expect(pending).toHaveLength(2);
    await Promise.all(pending);
    expect((await entries()).map((e) => e.events.map((x) => x.type))).toEqual([
      ['token.issued', 'token.issued', 'token.issued'],
      ['token.revoked'],
    ]);
  });

  it('starts a new entry past MAX_EVENTS_PER_ENTRY events, keeping their order', async () => {
    const { sink, ctx, pending } = newSink();
    const before = (await entries()).length;
    const emitted = Array.from({ length: MAX_EVENTS_PER_ENTRY + 2 }, (_, i) =>
      sink.emit({ type: 'token.issued', outcome: 'success', client_id: `c${i}` }, ctx),
    );
    expect(pending).toHaveLength(1);
    await Promise.all(pending);
    const written = (await entries()).slice(before);
    expect(written.map((e) => e.events.length)).toEqual([MAX_EVENTS_PER_ENTRY, 2]);
    expect(written.flatMap((e) => e.events.map((x) => x.event_id))).toEqual(emitted.map((e) => e.event_id));
  });

  it('writes a flush larger than the bridge takes in one request in several, losing nothing', async () => {
    // The Redis REST bridge refuses bodies over 1 MiB (413): 24 events of 60 KB are about 1.4 MB in one flush.
    const { sink, ctx, pending } = newSink();
    const before = (await entries()).length;
    const pad = 'x'.repeat(60_000);
    const emitted = Array.from({ length: 24 }, (_, i) =>
      sink.emit({ type: 'admin.action', outcome: 'success', details: { i, pad } }, ctx),
    );
    expect(emitted.reduce((n, e) => n + JSON.stringify(e).length, 0)).toBeGreaterThan(1024 * 1024);
    expect(MAX_REQUEST_CHARS).toBeLessThan(1024 * 1024);
    expect(pending).toHaveLength(1);
    await Promise.all(pending);
    const written = (await entries()).slice(before);
    expect(written.length).toBeGreaterThan(1);
    expect(written.flatMap((e) => e.events.map((x) => x.event_id))).toEqual(emitted.map((e) => e.event_id));
    expect(written.flatMap((e) => e.events.map((x) => x.details?.i))).toEqual(emitted.map((_, i) => i));
  });
});
