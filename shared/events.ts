/**
 * Security events. Every Worker appends them to the Redis stream `security-events` after the response
 * (`waitUntil`), so the hot path never waits on it. The monitor Worker consumes the stream.
 *
 * Event schema (stream entry fields, all strings):
 *   event_id    UUID of the event
 *   time        ISO-8601 time it happened
 *   type        one of SecurityEventType
 *   outcome     "success" | "failure" | "denied"
 *   service     the Worker that saw it
 *   client_id   OAuth client involved, if any
 *   user_id     end user involved, if any
 *   ip          client IP (CF-Connecting-IP, or the peer address off Cloudflare)
 *   user_agent  User-Agent header, truncated to 256 characters
 *   request_id  the x-request-id of the request
 *   details     JSON object with type-specific details (never secrets or tokens)
 */
import type { CommonConfig } from './env.js';
import { createRedis, redisKey } from './redis.js';

export const SECURITY_EVENTS_STREAM = 'security-events';
/** The stream is trimmed to about this many entries so Redis memory stays bounded if the monitor falls behind. */
export const SECURITY_EVENTS_MAXLEN = 100_000;

export type SecurityEventType =
  | 'token.issued'
  | 'token.revoked'
  | 'token.introspected'
  | 'client.authentication_failed'
  | 'client.registered'
  | 'client.updated'
  | 'client.deleted'
  | 'rate_limit.exceeded'
  | 'key.rotated'
  | 'policy.published'
  | 'policy.activated'
  | 'authorization.denied'
  | 'admin.action'
  | 'user.login_failed'
  | 'user.login_succeeded';

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

/**
 * Reads who is calling from the request. CF-Connecting-IP is believed only on Cloudflare's edge (`request.cf.colo`
 * is set there); self-hosted workerd reports the peer address in `request.cf.clientIp` instead.
 */
export function requestOrigin(req: Request): { ip?: string; user_agent?: string } {
  const cf = req.cf as { colo?: unknown; clientIp?: unknown } | undefined;
  const ip =
    typeof cf?.colo === 'string'
      ? (req.headers.get('cf-connecting-ip') ?? undefined)
      : typeof cf?.clientIp === 'string'
        ? cf.clientIp
        : undefined;
  const ua = req.headers.get('user-agent');
  return { ip, user_agent: ua ? ua.slice(0, 256) : undefined };
}

export function buildSecurityEvent(service: string, input: SecurityEventInput): SecurityEvent {
  return { event_id: crypto.randomUUID(), time: new Date().toISOString(), service, ...input };
}

/** Flattens an event into stream fields (Redis stream values are strings). */
export function toStreamFields(event: SecurityEvent): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(event)) {
    if (v === undefined) continue;
    fields[k] = k === 'details' ? JSON.stringify(v) : String(v);
  }
  return fields;
}

export function fromStreamFields(fields: Record<string, string>): SecurityEvent {
  const { details, ...rest } = fields;
  return { ...(rest as unknown as SecurityEvent), details: details ? JSON.parse(details) : {} };
}

/** Appends events to the stream. Callers wrap this in `waitUntil`; a failure is logged, never thrown. */
export async function appendSecurityEvents(config: CommonConfig, events: SecurityEvent[]): Promise<void> {
  if (events.length === 0) return;
  const redis = createRedis(config);
  const key = redisKey(config, SECURITY_EVENTS_STREAM);
  try {
    const pipe = redis.pipeline();
    for (const event of events) {
      pipe.xadd(key, '*', toStreamFields(event), {
        trim: { type: 'MAXLEN', threshold: SECURITY_EVENTS_MAXLEN, comparison: '~' },
      });
    }
    await pipe.exec();
  } catch (err) {
    console.log(JSON.stringify({ level: 'error', msg: 'security event write failed', error: (err as Error).message }));
  }
}

/** Queues an event to be written after the response. */
export function emitSecurityEvent(
  ctx: { waitUntil(p: Promise<unknown>): void },
  config: CommonConfig,
  service: string,
  input: SecurityEventInput,
): SecurityEvent {
  const event = buildSecurityEvent(service, input);
  ctx.waitUntil(appendSecurityEvents(config, [event]));
  return event;
}
