/**
 * Decodes entries of the `security-events` stream into validated events. Strict on every field the monitor
 * reads (shape, length, enumerations), tolerant of field names it does not know (a newer emitter may add some)
 * and of event types it does not know (decoded, marked `known: false`, ignored by detectors). A bad entry
 * becomes a `MalformedEntry` with a stable code; decoding never throws.
 */
import { EVENT_FIELD, EVENTS_FIELD } from '../../../../../shared/events/event.js';
import { isKnownEventType, type KnownSecurityEventType } from './event-types.js';
import { canonicalIp } from './ip-address.js';
import { type Location, parseCoordinate, parseCountry } from './location.js';

export type EventOutcome = 'success' | 'failure' | 'denied';

export interface MonitorEvent {
  /** Redis stream entry id (`<ms>-<seq>`). */
  entryId: string;
  eventId: string;
  /** When it happened, epoch milliseconds. */
  time: number;
  type: string;
  known: boolean;
  outcome: EventOutcome;
  service: string;
  clientId?: string;
  userId?: string;
  /** Canonical text (see ip-address.ts). */
  ip?: string;
  userAgent?: string;
  requestId?: string;
  location?: Location;
  details: Readonly<Record<string, unknown>>;
}

export type MalformedCode =
  | 'invalid_entry_id'
  | 'too_many_fields'
  | 'entry_too_large'
  | 'missing_field'
  | 'invalid_field'
  | 'field_too_long'
  | 'invalid_details';

export interface MalformedEntry {
  entryId: string;
  /** The event's position in its entry, for an entry holding a batch (EVENTS_FIELD). */
  index?: number;
  code: MalformedCode;
  field?: string;
  message: string;
}

export type DecodeResult = { ok: true; event: MonitorEvent } | { ok: false; malformed: MalformedEntry };

export const DECODE_LIMITS = {
  maxFields: 32,
  /** Of one event (a batch entry may hold maxEventsPerEntry of them). */
  maxEntryChars: 16_384,
  /** Emitters write at most MAX_EVENTS_PER_ENTRY (shared/events/event.ts); room for a newer emitter's larger batches. */
  maxEventsPerEntry: 256,
  maxFieldChars: 256,
  maxDetailsChars: 8_192,
  maxDetailsDepth: 4,
  maxDetailsKeys: 64,
} as const;

const ENTRY_ID = /^\d{1,20}-\d{1,20}$/;
const EVENT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const EVENT_TYPE = /^[a-z][a-z0-9_]{0,31}(\.[a-z][a-z0-9_]{0,31}){1,3}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const SERVICE = /^[a-z][a-z0-9_-]{0,31}$/;
const OUTCOMES: readonly EventOutcome[] = ['success', 'failure', 'denied'];
/** No control characters in identifiers (they would end up in logs and alert texts). */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

class Malformed extends Error {
  constructor(
    readonly code: MalformedCode,
    readonly field: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

function identifier(fields: Record<string, string>, name: string, max = 128): string | undefined {
  const v = fields[name];
  if (v === undefined || v === '') return undefined;
  if (v.length > max) throw new Malformed('field_too_long', name, `${name} is longer than ${max} characters`);
  if (hasControl(v)) throw new Malformed('invalid_field', name, `${name} contains control characters`);
  return v;
}

function required(fields: Record<string, string>, name: string): string {
  const v = fields[name];
  if (v === undefined || v === '') throw new Malformed('missing_field', name, `${name} is missing`);
  return v;
}

function checkDepth(value: unknown, depth: number, keys: { n: number }): void {
  if (value === null || typeof value !== 'object') return;
  if (depth > DECODE_LIMITS.maxDetailsDepth)
    throw new Malformed('invalid_details', 'details', `details nest deeper than ${DECODE_LIMITS.maxDetailsDepth}`);
  const children = Array.isArray(value) ? value : Object.values(value);
  keys.n += children.length;
  if (keys.n > DECODE_LIMITS.maxDetailsKeys)
    throw new Malformed('invalid_details', 'details', `details hold more than ${DECODE_LIMITS.maxDetailsKeys} values`);
  for (const child of children) checkDepth(child, depth + 1, keys);
}

function parseDetails(text: string | undefined): Record<string, unknown> {
  if (text === undefined || text === '') return {};
  if (text.length > DECODE_LIMITS.maxDetailsChars)
    throw new Malformed('field_too_long', 'details', `details exceed ${DECODE_LIMITS.maxDetailsChars} characters`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Malformed('invalid_details', 'details', 'details are not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new Malformed('invalid_details', 'details', 'details must be a JSON object');
  checkDepth(value, 1, { n: 0 });
  return value as Record<string, unknown>;
}

function parseLocation(fields: Record<string, string>): Location | undefined {
  const { latitude, longitude, country, geo_source } = fields;
  if (latitude === undefined && longitude === undefined) return undefined;
  const lat = parseCoordinate(latitude, 90);
  const lon = parseCoordinate(longitude, 180);
  if (lat === null) throw new Malformed('invalid_field', 'latitude', 'latitude must be a decimal in [-90, 90]');
  if (lon === null) throw new Malformed('invalid_field', 'longitude', 'longitude must be a decimal in [-180, 180]');
  if (geo_source !== 'cf' && geo_source !== 'header')
    throw new Malformed('invalid_field', 'geo_source', 'geo_source must be "cf" or "header"');
  const c = country === undefined ? undefined : parseCountry(country);
  if (country !== undefined && c === undefined)
    throw new Malformed('invalid_field', 'country', 'country must be two letters');
  return { latitude: lat, longitude: lon, ...(c ? { country: c } : {}), source: geo_source };
}

/** Stream fields arrive as an object or, from some clients, as a flat `[name, value, ...]` array. */
export type StreamFields = Readonly<Record<string, string>> | readonly string[];

function fieldObject(raw: StreamFields): Record<string, string> {
  if (raw === null || typeof raw !== 'object') throw new Malformed('invalid_field', undefined, 'fields are not a map');
  if (!Array.isArray(raw)) return raw as Record<string, string>;
  if (raw.length % 2 !== 0) throw new Malformed('invalid_field', undefined, 'field list has an odd length');
  if (raw.length > 2 * DECODE_LIMITS.maxFields)
    throw new Malformed('too_many_fields', undefined, `more than ${DECODE_LIMITS.maxFields} fields`);
  const out: Record<string, string> = Object.create(null);
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (typeof name !== 'string') throw new Malformed('invalid_field', undefined, 'field name is not a string');
    if (Object.hasOwn(out, name)) throw new Malformed('invalid_field', name.slice(0, 32), 'field appears twice');
    out[name] = raw[i + 1] as string;
  }
  return out;
}

/**
 * An event written as a JSON object (an element of a batch, or EVENT_FIELD's value) as the fields of the flat form,
 * so that every form passes the same checks (decodeEvent).
 */
function flattenEvent(value: unknown, field: string): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new Malformed('invalid_field', field, `${field} must hold JSON objects`);
  const properties = Object.entries(value);
  if (properties.length > DECODE_LIMITS.maxFields)
    throw new Malformed('too_many_fields', undefined, `more than ${DECODE_LIMITS.maxFields} fields`);
  const out: Record<string, string> = Object.create(null);
  for (const [name, v] of properties) {
    // details are checked as text (size, depth) like a flat entry's; a coordinate may be a JSON number.
    if (name === 'details') out[name] = JSON.stringify(v);
    else if (typeof v === 'string') out[name] = v;
    else if (typeof v === 'number' && Number.isFinite(v)) out[name] = String(v);
    else throw new Malformed('invalid_field', name.slice(0, 32), `${name.slice(0, 32)} is not a string`);
  }
  return out;
}

/** The JSON text of a one-field entry, parsed; a field over `maxChars` is refused before parsing. */
function parseField(text: unknown, field: string, maxChars: number): unknown {
  if (typeof text !== 'string') throw new Malformed('invalid_field', field, `${field} is not a string`);
  if (text.length > maxChars) throw new Malformed('entry_too_large', undefined, `entry exceeds ${maxChars} characters`);
  try {
    return JSON.parse(text);
  } catch {
    throw new Malformed('invalid_field', field, `${field} is not JSON`);
  }
}

/**
 * What one entry holds. Emitters write a batch of events as one field, EVENTS_FIELD, holding a JSON array; before
 * that, one event as one field, EVENT_FIELD, holding its JSON; before that, one field per property. All three are
 * decoded (an older emitter may be running during a rollout). A batch too large, or not an array, is malformed as a
 * whole; its events are checked one by one (decodeStreamEntry), so a bad one is malformed alone.
 */
function entryContent(raw: StreamFields): { fields: Record<string, string> } | { batch: unknown[] } {
  const fields = fieldObject(raw);
  const names = Object.keys(fields);
  if (names.length !== 1) return { fields };
  if (names[0] === EVENT_FIELD) {
    const text = parseField(fields[EVENT_FIELD], EVENT_FIELD, DECODE_LIMITS.maxEntryChars);
    return { fields: flattenEvent(text, EVENT_FIELD) };
  }
  if (names[0] !== EVENTS_FIELD) return { fields };
  const maxChars = DECODE_LIMITS.maxEventsPerEntry * DECODE_LIMITS.maxEntryChars;
  const batch = parseField(fields[EVENTS_FIELD], EVENTS_FIELD, maxChars);
  if (!Array.isArray(batch) || batch.length === 0)
    throw new Malformed('invalid_field', EVENTS_FIELD, `${EVENTS_FIELD} must be a non-empty JSON array`);
  if (batch.length > DECODE_LIMITS.maxEventsPerEntry)
    throw new Malformed('entry_too_large', undefined, `more than ${DECODE_LIMITS.maxEventsPerEntry} events`);
  return { batch };
}

function decodeEvent(entryId: string, fields: Record<string, string>): MonitorEvent {
  const names = Object.keys(fields);
  if (names.length > DECODE_LIMITS.maxFields)
    throw new Malformed('too_many_fields', undefined, `more than ${DECODE_LIMITS.maxFields} fields`);
  let size = 0;
  for (const name of names) {
    const value = fields[name];
    if (typeof value !== 'string') throw new Malformed('invalid_field', name, `${name} is not a string`);
    size += name.length + value.length;
  }
  if (size > DECODE_LIMITS.maxEntryChars)
    throw new Malformed('entry_too_large', undefined, `entry exceeds ${DECODE_LIMITS.maxEntryChars} characters`);

  const eventId = required(fields, 'event_id');
  if (!EVENT_ID.test(eventId)) throw new Malformed('invalid_field', 'event_id', 'event_id is not an identifier');
  const timeText = required(fields, 'time');
  const time = ISO_TIME.test(timeText) ? Date.parse(timeText) : Number.NaN;
  if (!Number.isFinite(time)) throw new Malformed('invalid_field', 'time', 'time is not an ISO-8601 date-time');
  const type = required(fields, 'type');
  if (!EVENT_TYPE.test(type)) throw new Malformed('invalid_field', 'type', 'type is not a dotted lowercase name');
  const outcome = required(fields, 'outcome') as EventOutcome;
  if (!OUTCOMES.includes(outcome))
    throw new Malformed('invalid_field', 'outcome', 'outcome is not success|failure|denied');
  const service = required(fields, 'service');
  if (!SERVICE.test(service)) throw new Malformed('invalid_field', 'service', 'service is not a Worker name');

  let ip: string | undefined;
  if (fields.ip !== undefined && fields.ip !== '') {
    const canonical = canonicalIp(fields.ip);
    if (canonical === null) throw new Malformed('invalid_field', 'ip', 'ip is not an IPv4 or IPv6 address');
    ip = canonical;
  }
  const userAgent = fields.user_agent;
  if (userAgent !== undefined && userAgent.length > DECODE_LIMITS.maxFieldChars)
    throw new Malformed('field_too_long', 'user_agent', `user_agent is longer than ${DECODE_LIMITS.maxFieldChars}`);

  const event: MonitorEvent = {
    entryId,
    eventId,
    time,
    type,
    known: isKnownEventType(type),
    outcome,
    service,
    details: parseDetails(fields.details),
  };
  const clientId = identifier(fields, 'client_id');
  const userId = identifier(fields, 'user_id');
  const requestId = identifier(fields, 'request_id');
  const location = parseLocation(fields);
  if (clientId !== undefined) event.clientId = clientId;
  if (userId !== undefined) event.userId = userId;
  if (ip !== undefined) event.ip = ip;
  if (userAgent) event.userAgent = userAgent;
  if (requestId !== undefined) event.requestId = requestId;
  if (location) event.location = location;
  return event;
}

function malformedEntry(entryId: string, err: unknown, index?: number): MalformedEntry {
  const id = String(entryId).slice(0, 64);
  const at = index === undefined ? {} : { index };
  if (err instanceof Malformed) {
    const malformed: MalformedEntry = { entryId: id, ...at, code: err.code, message: err.message };
    if (err.field !== undefined) malformed.field = err.field;
    return malformed;
  }
  // Anything else is a defect in this module; report it as a malformed entry rather than stop consumption.
  return { entryId: id, ...at, code: 'invalid_field', message: String(err) };
}

/**
 * Decodes one stream entry into its events, in the order they were written (one result per event; one malformed
 * result for an entry that is malformed as a whole). Never throws.
 */
export function decodeStreamEntry(entryId: string, fields: StreamFields): DecodeResult[] {
  let content: ReturnType<typeof entryContent>;
  try {
    if (typeof entryId !== 'string' || !ENTRY_ID.test(entryId))
      throw new Malformed('invalid_entry_id', undefined, 'stream entry id is not <ms>-<seq>');
    content = entryContent(fields);
  } catch (err) {
    return [{ ok: false, malformed: malformedEntry(entryId, err) }];
  }
  if ('fields' in content) return [decodeOne(entryId, () => content.fields)];
  return content.batch.map((value, index) => decodeOne(entryId, () => flattenEvent(value, EVENTS_FIELD), index));
}

/** One event of an entry (`index`: its position in a batch), as a result. */
function decodeOne(entryId: string, fieldsOf: () => Record<string, string>, index?: number): DecodeResult {
  try {
    return { ok: true, event: decodeEvent(entryId, fieldsOf()) };
  } catch (err) {
    return { ok: false, malformed: malformedEntry(entryId, err, index) };
  }
}

/**
 * Decodes a batch read from the stream (`XREADGROUP` returns `[id, fields]` pairs). Events come back in stream
 * order, and in their entry's order within an entry; the malformed ones are listed so the consumer can acknowledge
 * and report them.
 */
export function decodeStreamEntries(entries: ReadonlyArray<readonly [string, StreamFields]>): {
  events: MonitorEvent[];
  malformed: MalformedEntry[];
} {
  const events: MonitorEvent[] = [];
  const malformed: MalformedEntry[] = [];
  for (const [id, fields] of entries) {
    for (const r of decodeStreamEntry(id, fields)) {
      if (r.ok) events.push(r.event);
      else malformed.push(r.malformed);
    }
  }
  return { events, malformed };
}

/** A typed read of a details field: strings only, bounded, else undefined. */
export function detailString(event: MonitorEvent, name: string, max = 128): string | undefined {
  const v = event.details[name];
  return typeof v === 'string' && v.length > 0 && v.length <= max && !hasControl(v) ? v : undefined;
}

/** A typed read of a non-negative integer details field. */
export function detailCount(event: MonitorEvent, name: string): number | undefined {
  const v = event.details[name];
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined;
}

export type { KnownSecurityEventType };
