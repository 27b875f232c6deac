/**
 * Security events: what happened, in the one schema every Worker writes. The batched sink (./sink.ts) appends them
 * to the Redis stream `security-events` after the response; the monitor Worker consumes the stream.
 *
 * Event schema (an event's properties; a stream entry holds a batch of events, EVENTS_FIELD below):
 *   event_id    UUID of the event
 *   time        ISO-8601 time it happened
 *   type        one of SecurityEventType
 *   outcome     "success" | "failure" | "denied"
 *   service     the Worker that saw it
 *   client_id   OAuth client involved, if any
 *   user_id     end user involved, if any
 *   ip          client address (shared/client-address.ts: the same rule in every Worker)
 *   user_agent  User-Agent header, truncated to 256 characters
 *   request_id  the x-request-id of the request
 *   details     JSON object with type-specific details (never secrets or tokens)
 */

export const SECURITY_EVENTS_STREAM = 'security-events';
/**
 * The stream is trimmed to about this many events (streamMaxLenFor) so Redis memory stays bounded if the monitor
 * falls behind.
 */
export const SECURITY_EVENTS_MAXLEN = 100_000;

export type SecurityEventType =
  | 'token.issued'
  | 'token.revoked'
  /** A superseded refresh token was presented outside the retry window: its whole family is revoked. */
  | 'refresh_token.reused'
  | 'token.introspected'
  | 'client.authentication_failed'
  | 'client.registered'
  | 'client.updated'
  | 'client.deleted'
  | 'rate_limit.exceeded'
  | 'key.rotated'
  /** A cached record failed its integrity check (someone wrote the cache who should not): ignored, reloaded. */
  | 'cache.tampered'
  | 'policy.published'
  | 'policy.activated'
  | 'authorization.denied'
  | 'admin.action'
  | 'user.login_failed'
  | 'user.login_succeeded'
  /** Hosted login (workers/auth/src/login): throttled sign-ins, accounts, sessions, consents, codes, logout. */
  | 'user.login_throttled'
  | 'user.signed_up'
  /** An operator's one-time password reset, redeemed (accounts/handlers/password-reset.ts). */
  | 'user.password_reset'
  | 'session.created'
  | 'session.revoked'
  | 'consent.granted'
  | 'consent.denied'
  | 'consent.revoked'
  | 'authorization_code.reused'
  | 'user.logout'
  /** Second factors (workers/auth/src/mfa): details `method` (totp | recovery_code), `reason` on failures. */
  | 'mfa.enrolled'
  | 'mfa.removed'
  | 'mfa.challenge_succeeded'
  | 'mfa.challenge_failed'
  | 'mfa.recovery_code_used';

export type SecurityEventOutcome = 'success' | 'failure' | 'denied';

export interface SecurityEvent {
  event_id: string;
  time: string;
  type: SecurityEventType;
  outcome: SecurityEventOutcome;
  service: string;
  client_id?: string;
  user_id?: string;
  ip?: string;
  user_agent?: string;
  request_id?: string;
  details?: Record<string, unknown>;
}

export type SecurityEventInput = Omit<SecurityEvent, 'event_id' | 'time' | 'service'>;

/** The request's side of an event: who called (the one client-address rule) and which request it was. */
export function eventOrigin(
  req: Request,
  ip: string,
  requestId: string,
): Pick<SecurityEvent, 'ip' | 'user_agent' | 'request_id'> {
  const ua = req.headers.get('user-agent');
  return { ip, user_agent: ua ? ua.slice(0, 256) : undefined, request_id: requestId };
}

export function buildSecurityEvent(service: string, input: SecurityEventInput): SecurityEvent {
  return { event_id: crypto.randomUUID(), time: new Date().toISOString(), service, ...input };
}

/**
 * The field a stream entry carries its events in: a JSON array of up to MAX_EVENTS_PER_ENTRY events, the events of
 * one flush of an emitter's sink in the order they happened. Several events per entry rather than one: every XADD
 * is a command to pay for (Upstash bills per command), to parse in the Redis REST bridge and to store in Redis, and
 * under load one token's event was the largest cost the token endpoint caused outside its isolate.
 */
export const EVENTS_FIELD = 'events';
/**
 * The most events one entry holds (the sink starts another entry past it), so an entry stays small enough for the
 * monitor to decode in one piece (its own limit, DECODE_LIMITS.maxEventsPerEntry, is larger).
 */
export const MAX_EVENTS_PER_ENTRY = 64;
/** The most characters of JSON one entry holds, unless one event alone is larger (it then has an entry of its own). */
export const MAX_ENTRY_CHARS = 256 * 1024;
/** The form emitters wrote before EVENTS_FIELD: one event per entry, as its JSON. The monitor still decodes it. */
export const EVENT_FIELD = 'event';

/** One stream entry of a flush: EVENTS_FIELD's value, and how many events it holds. */
export interface EventsEntry {
  value: string;
  count: number;
}

/** The events of one flush as stream entries, in order: at most MAX_EVENTS_PER_ENTRY events and MAX_ENTRY_CHARS each. */
export function toStreamEntries(events: readonly SecurityEvent[]): EventsEntry[] {
  const entries: EventsEntry[] = [];
  let parts: string[] = [];
  let chars = 2; // the brackets
  const close = () => {
    entries.push({ value: `[${parts.join(',')}]`, count: parts.length });
    parts = [];
    chars = 2;
  };
  for (const event of events) {
    const json = JSON.stringify(event);
    const full = parts.length === MAX_EVENTS_PER_ENTRY || chars + json.length + 1 > MAX_ENTRY_CHARS;
    if (parts.length > 0 && full) close();
    parts.push(json);
    chars += json.length + 1;
  }
  if (parts.length > 0) close();
  return entries;
}

/**
 * The MAXLEN (in entries) an XADD of `count` events trims the stream to: about SECURITY_EVENTS_MAXLEN events while
 * entries are alike in size, whatever their size. Every emitter trims on every write; since an entry of n events
 * trims to SECURITY_EVENTS_MAXLEN / n entries, a mix of entry sizes can keep somewhat more events than that, never
 * more entries.
 */
export function streamMaxLenFor(count: number): number {
  return Math.ceil(SECURITY_EVENTS_MAXLEN / Math.max(1, count));
}

/**
 * Flattens an event into one field per property (Redis stream values are strings): the form emitters wrote before
 * EVENT_FIELD, which the monitor still decodes (an older emitter may be running during a rollout).
 */
export function toStreamFields(event: SecurityEvent): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(event)) {
    if (v === undefined) continue;
    fields[k] = k === 'details' ? JSON.stringify(v) : String(v);
  }
  return fields;
}

/**
 * An entry's events, written in any form (EVENTS_FIELD, EVENT_FIELD, or one field per property). Trusts its input:
 * tests and tools; the monitor decodes strictly (workers/monitor/src/events/domain/decode.ts).
 */
export function fromStreamEntry(fields: Record<string, string>): SecurityEvent[] {
  const withDetails = (event: SecurityEvent): SecurityEvent => ({ ...event, details: event.details ?? {} });
  const only = Object.keys(fields).length === 1;
  const batch = fields[EVENTS_FIELD];
  if (batch !== undefined && only) return (JSON.parse(batch) as SecurityEvent[]).map(withDetails);
  const compact = fields[EVENT_FIELD];
  if (compact !== undefined && only) return [withDetails(JSON.parse(compact) as SecurityEvent)];
  const { details, ...rest } = fields;
  return [{ ...(rest as unknown as SecurityEvent), details: details ? JSON.parse(details) : {} }];
}
