import { describe, expect, it } from 'vitest';
import {
  buildSecurityEvent,
  EVENT_FIELD,
  EVENTS_FIELD,
  fromStreamEntry,
  MAX_EVENTS_PER_ENTRY,
  type SecurityEventType,
  toStreamEntries,
  toStreamFields,
} from '../../../shared/events/event.js';
import {
  DECODE_LIMITS,
  type DecodeResult,
  decodeStreamEntries,
  decodeStreamEntry,
  detailCount,
  detailString,
  type StreamFields,
} from '../src/events/domain/decode.js';
import { isKnownEventType, SECURITY_EVENT_TYPES } from '../src/events/domain/event-types.js';

const valid = (): Record<string, string> =>
  toStreamFields({
    event_id: '8a6e0804-2bd0-4672-b79d-d97027f9071e',
    time: '2026-06-01T12:00:00.123Z',
    type: 'user.login_failed',
    outcome: 'failure',
    service: 'auth',
    user_id: 'user-1',
    client_id: 'client-1',
    ip: '2001:DB8:0:0::1',
    user_agent: 'curl/8',
    request_id: 'req-1',
    details: { reason: 'wrong_password', suppressed: 3 },
  });

/** The one result of an entry that holds one event (every form but a batch). */
function one(id: string, fields: StreamFields): DecodeResult {
  const results = decodeStreamEntry(id, fields);
  expect(results).toHaveLength(1);
  return results[0] as DecodeResult;
}

/** The one-field form of an event given as flat fields: [EVENT_FIELD, its JSON]. */
const compactOf = (fields: Record<string, string>): [string, string] => [
  EVENT_FIELD,
  JSON.stringify(fromStreamEntry(fields)[0]),
];

function malformed(fields: Record<string, string> | string[], id = '1-0') {
  const r = one(id, fields);
  if (r.ok) throw new Error('expected a malformed entry');
  return r.malformed;
}

describe('decoding stream entries', () => {
  it('decodes what the shared emitter writes, canonicalising the address', () => {
    const r = one('1780315200123-0', valid());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event).toMatchObject({
      entryId: '1780315200123-0',
      eventId: '8a6e0804-2bd0-4672-b79d-d97027f9071e',
      time: Date.UTC(2026, 5, 1, 12, 0, 0, 123),
      type: 'user.login_failed',
      known: true,
      outcome: 'failure',
      service: 'auth',
      userId: 'user-1',
      clientId: 'client-1',
      ip: '2001:db8::1',
      userAgent: 'curl/8',
      requestId: 'req-1',
    });
    expect(detailString(r.event, 'reason')).toBe('wrong_password');
    expect(detailCount(r.event, 'suppressed')).toBe(3);
    expect(detailCount(r.event, 'reason')).toBeUndefined();
  });

  it('decodes every event buildSecurityEvent produces for each shared type', () => {
    const types: SecurityEventType[] = ['token.issued', 'key.rotated', 'policy.activated', 'rate_limit.exceeded'];
    for (const type of types) {
      const e = buildSecurityEvent('policy', { type, outcome: 'success', ip: '203.0.113.9', details: { a: 1 } });
      const r = one('5-1', toStreamFields(e));
      expect(r.ok, type).toBe(true);
    }
  });

  it('decodes the one-field form (written before batches) exactly as the field-per-property form', () => {
    const compact = Object.fromEntries([compactOf(valid())]);
    expect(Object.keys(compact)).toEqual([EVENT_FIELD]);
    expect(one('1780315200123-0', compact)).toEqual(one('1780315200123-0', valid()));
    expect(one('1-0', [EVENT_FIELD, compact[EVENT_FIELD] as string]).ok).toBe(true);
    // Coordinates may arrive as JSON numbers.
    const located = JSON.stringify({ ...JSON.parse(compact[EVENT_FIELD] as string), latitude: 52.5, longitude: 13.4 });
    const r = one('1-0', { [EVENT_FIELD]: located, geo_source: 'cf' });
    expect(r.ok).toBe(false); // a second field next to EVENT_FIELD is not the compact form: event_id is missing
    const withSource = JSON.stringify({ ...JSON.parse(located), geo_source: 'cf' });
    const geo = one('1-0', { [EVENT_FIELD]: withSource });
    expect(geo.ok && geo.event.location).toMatchObject({ latitude: 52.5, longitude: 13.4, source: 'cf' });
  });

  it('holds the one-field form to the same rules, with stable codes', () => {
    const event = JSON.parse(compactOf(valid())[1]) as Record<string, unknown>;
    const compact = (value: unknown) => ({ [EVENT_FIELD]: typeof value === 'string' ? value : JSON.stringify(value) });
    expect(malformed(compact('{not json'))).toMatchObject({ code: 'invalid_field', field: EVENT_FIELD });
    expect(malformed(compact([event]))).toMatchObject({ code: 'invalid_field', field: EVENT_FIELD });
    expect(malformed(compact({ ...event, user_id: { nested: true } }))).toMatchObject({
      code: 'invalid_field',
      field: 'user_id',
    });
    expect(malformed(compact({ ...event, event_id: undefined }))).toMatchObject({
      code: 'missing_field',
      field: 'event_id',
    });
    expect(malformed(compact({ ...event, details: 'not an object' }))).toMatchObject({ code: 'invalid_details' });
    const many = Object.fromEntries(Array.from({ length: DECODE_LIMITS.maxFields + 1 }, (_, i) => [`f${i}`, 'x']));
    expect(malformed(compact({ ...event, ...many }))).toMatchObject({ code: 'too_many_fields' });
    const huge = { ...event, user_agent: 'a'.repeat(DECODE_LIMITS.maxEntryChars) };
    expect(malformed(compact(huge))).toMatchObject({ code: 'entry_too_large' });
  });

  it('decodes a batch entry (what the sink writes) into its events, in order, each as its flat form decodes', () => {
    const flats = ['req-1', 'req-2', 'req-3'].map((id, i) => ({
      ...valid(),
      event_id: `event-${i}`,
      request_id: id,
    }));
    const [entry, ...more] = toStreamEntries(flats.flatMap((f) => fromStreamEntry(f)));
    expect(more).toEqual([]);
    expect(entry?.count).toBe(3);
    const results = decodeStreamEntry('7-0', { [EVENTS_FIELD]: entry?.value as string });
    expect(results).toEqual(flats.map((f) => one('7-0', f)));
    expect(results.map((r) => r.ok && r.event.requestId)).toEqual(['req-1', 'req-2', 'req-3']);
    // The flat [name, value] list some clients return, too.
    expect(decodeStreamEntry('7-0', [EVENTS_FIELD, entry?.value as string])).toEqual(results);
  });

  it('splits a flush into entries of at most MAX_EVENTS_PER_ENTRY events, each decoding in full', () => {
    const events = Array.from({ length: 2 * MAX_EVENTS_PER_ENTRY + 1 }, (_, i) =>
      buildSecurityEvent('auth', { type: 'token.issued', outcome: 'success', client_id: `c${i}` }),
    );
    const entries = toStreamEntries(events);
    expect(entries.map((e) => e.count)).toEqual([MAX_EVENTS_PER_ENTRY, MAX_EVENTS_PER_ENTRY, 1]);
    const { events: decoded, malformed: bad } = decodeStreamEntries(
      entries.map((e, i) => [`${i + 1}-0`, { [EVENTS_FIELD]: e.value }] as const),
    );
    expect(bad).toEqual([]);
    expect(decoded.map((e) => e.eventId)).toEqual(events.map((e) => e.event_id));
    expect(MAX_EVENTS_PER_ENTRY).toBeLessThanOrEqual(DECODE_LIMITS.maxEventsPerEntry);
  });

  it('holds a batch to the same rules: a bad event is malformed alone, with its index; a bad batch as a whole', () => {
    const event = JSON.parse(compactOf(valid())[1]) as Record<string, unknown>;
    const batch = (value: unknown) => ({ [EVENTS_FIELD]: typeof value === 'string' ? value : JSON.stringify(value) });
    const mixed = decodeStreamEntry('9-0', batch([event, { ...event, outcome: 'maybe' }, 'text', { ...event }]));
    expect(mixed.map((r) => r.ok)).toEqual([true, false, false, true]);
    expect(mixed[1]).toEqual({
      ok: false,
      malformed: { entryId: '9-0', index: 1, code: 'invalid_field', field: 'outcome', message: expect.any(String) },
    });
    expect(mixed[2]).toMatchObject({ ok: false, malformed: { index: 2, code: 'invalid_field', field: EVENTS_FIELD } });
    const whole = (value: unknown) => {
      const results = decodeStreamEntry('9-0', batch(value));
      expect(results).toHaveLength(1);
      const [r] = results;
      if (!r || r.ok) throw new Error('expected a malformed entry');
      expect(r.malformed.index).toBeUndefined();
      return r.malformed;
    };
    expect(whole('{not json')).toMatchObject({ code: 'invalid_field', field: EVENTS_FIELD });
    expect(whole(event)).toMatchObject({ code: 'invalid_field', field: EVENTS_FIELD });
    expect(whole([])).toMatchObject({ code: 'invalid_field', field: EVENTS_FIELD });
    expect(whole(Array.from({ length: DECODE_LIMITS.maxEventsPerEntry + 1 }, () => event))).toMatchObject({
      code: 'entry_too_large',
    });
    const huge = 'x'.repeat(DECODE_LIMITS.maxEventsPerEntry * DECODE_LIMITS.maxEntryChars);
    expect(whole([{ ...event, user_agent: huge }])).toMatchObject({ code: 'entry_too_large' });
    // Each event keeps its own size limit inside a batch.
    const big = decodeStreamEntry(
      '9-0',
      batch([event, { ...event, user_agent: 'a'.repeat(DECODE_LIMITS.maxEntryChars) }]),
    );
    expect(big.map((r) => r.ok)).toEqual([true, false]);
    expect(big[1]).toMatchObject({ ok: false, malformed: { index: 1, code: 'entry_too_large' } });
    // A second field next to EVENTS_FIELD is not a batch: decoded as the flat form, where event_id is missing.
    expect(one('9-0', { ...batch([event]), geo_source: 'cf' })).toMatchObject({
      ok: false,
      malformed: { code: 'missing_field', field: 'event_id' },
    });
  });

  it('keeps unknown event types, marked unknown, and tolerates unknown field names', () => {
    const f = { ...valid(), type: 'webauthn.assertion_failed', future_field: 'x' };
    const r = one('1-0', f);
    expect(r.ok && r.event.known).toBe(false);
    expect(r.ok && r.event.type).toBe('webauthn.assertion_failed');
  });

  it('accepts the flat [name, value, ...] field list some clients return', () => {
    const flat = Object.entries(valid()).flat();
    const r = one('1-0', flat);
    expect(r.ok).toBe(true);
    expect(malformed(['a', 'b', 'a', 'c']).code).toBe('invalid_field');
    expect(malformed(['a']).code).toBe('invalid_field');
  });

  it('reports missing and invalid fields with stable codes and the field name', () => {
    const without = (k: string) => {
      const f = valid();
      delete f[k];
      return f;
    };
    for (const k of ['event_id', 'time', 'type', 'outcome', 'service'])
      expect(malformed(without(k))).toMatchObject({ code: 'missing_field', field: k });
    const cases: Array<[string, string]> = [
      ['time', '2026-06-01 12:00:00'],
      ['time', '2026-13-45T99:00:00Z'],
      ['type', 'User.Login'],
      ['type', 'nodot'],
      ['type', 'a.b.c.d.e'],
      ['outcome', 'ok'],
      ['service', 'Auth Worker'],
      ['ip', '999.1.1.1'],
      ['ip', '10.0.0.1:443'],
      ['ip', 'fe80::1%eth0'],
      ['event_id', 'has space'],
      ['user_id', 'evil\nline'],
    ];
    for (const [k, v] of cases) expect(malformed({ ...valid(), [k]: v }), `${k}=${v}`).toMatchObject({ field: k });
  });

  it('rejects oversized entries, fields and details, and details that are not a bounded object', () => {
    expect(malformed({ ...valid(), user_id: 'u'.repeat(129) }).code).toBe('field_too_long');
    expect(malformed({ ...valid(), user_agent: 'a'.repeat(257) }).code).toBe('field_too_long');
    const many: Record<string, string> = { ...valid() };
    for (let i = 0; i < DECODE_LIMITS.maxFields; i++) many[`x${i}`] = '1';
    expect(malformed(many).code).toBe('too_many_fields');
    expect(malformed({ ...valid(), extra: 'x'.repeat(DECODE_LIMITS.maxEntryChars) }).code).toBe('entry_too_large');
    expect(malformed({ ...valid(), details: '{"a":' }).code).toBe('invalid_details');
    expect(malformed({ ...valid(), details: '[1,2]' }).code).toBe('invalid_details');
    expect(malformed({ ...valid(), details: 'null' }).code).toBe('invalid_details');
    expect(malformed({ ...valid(), details: JSON.stringify({ a: { b: { c: { d: { e: 1 } } } } }) }).code).toBe(
      'invalid_details',
    );
    const wide = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i]));
    expect(malformed({ ...valid(), details: JSON.stringify(wide) }).code).toBe('invalid_details');
    expect(malformed({ ...valid(), details: `"${'x'.repeat(DECODE_LIMITS.maxDetailsChars)}"` }).code).toBe(
      'field_too_long',
    );
  });

  it('rejects a bad stream entry id and never throws, whatever it is given', () => {
    expect(malformed(valid(), 'abc').code).toBe('invalid_entry_id');
    const junk: unknown[] = [null, 42, 'text', [1, 2], { time: 5 }, { event_id: {} }];
    for (const j of junk) {
      const r = one('1-0', j as Record<string, string>);
      expect(r.ok).toBe(false);
    }
    expect(one(undefined as unknown as string, valid()).ok).toBe(false);
  });

  it('treats __proto__ and friends as ordinary unknown fields', () => {
    const f = JSON.parse(`{"__proto__": "x", "constructor": "y", ${JSON.stringify(valid()).slice(1)}`);
    const r = one('1-0', f);
    expect(r.ok).toBe(true);
    expect(one('1-0', ['__proto__', 'x', ...Object.entries(valid()).flat()]).ok).toBe(true);
  });

  it('reads location fields strictly', () => {
    const loc = { latitude: '52.52', longitude: '13.405', country: 'de', geo_source: 'cf' };
    const r = one('1-0', { ...valid(), ...loc });
    expect(r.ok && r.event.location).toEqual({ latitude: 52.52, longitude: 13.405, country: 'DE', source: 'cf' });
    expect(malformed({ ...valid(), ...loc, latitude: '91' }).field).toBe('latitude');
    expect(malformed({ ...valid(), ...loc, longitude: 'east' }).field).toBe('longitude');
    expect(malformed({ ...valid(), ...loc, geo_source: 'guess' }).field).toBe('geo_source');
    expect(malformed({ ...valid(), ...loc, country: 'Germany' }).field).toBe('country');
  });

  it('splits what was read into events and malformed entries, in order', () => {
    const second = { ...fromStreamEntry(valid())[0], event_id: 'second' };
    const { events, malformed: bad } = decodeStreamEntries([
      ['1-0', valid()],
      ['2-0', { ...valid(), outcome: 'maybe' }],
      [
        '3-0',
        { [EVENTS_FIELD]: JSON.stringify([second, { ...second, event_id: '' }, { ...second, event_id: 'third' }]) },
      ],
    ]);
    expect(events.map((e) => [e.entryId, e.eventId])).toEqual([
      ['1-0', '8a6e0804-2bd0-4672-b79d-d97027f9071e'],
      ['3-0', 'second'],
      ['3-0', 'third'],
    ]);
    expect(bad).toEqual([
      { entryId: '2-0', code: 'invalid_field', field: 'outcome', message: expect.any(String) },
      { entryId: '3-0', index: 1, code: 'missing_field', field: 'event_id', message: expect.any(String) },
    ]);
  });
});

describe('event type catalogue', () => {
  it('contains the types the sign-in, session, consent, MFA and rotation work will emit', () => {
    for (const t of [
      'user.login_failed',
      'user.login_succeeded',
      'user.login_throttled',
      'refresh_token.reused',
      'authorization_code.reused',
      'session.created',
      'session.revoked',
      'consent.granted',
      'mfa.challenge_failed',
    ])
      expect(isKnownEventType(t), t).toBe(true);
    expect(new Set(SECURITY_EVENT_TYPES).size).toBe(SECURITY_EVENT_TYPES.length);
    for (const t of SECURITY_EVENT_TYPES) expect(t).toMatch(/^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/);
  });
});
