/**
 * What the OAuth endpoints share: reading the form, authenticating the client, and reporting security events.
 */
import { readFormBody, readJsonBody } from '../../../../shared/body.js';
import { OAuthError, PlatformError } from '../../../../shared/errors.js';
import {
  appendSecurityEvents,
  buildSecurityEvent,
  type SecurityEvent,
  type SecurityEventOutcome,
  type SecurityEventType,
} from '../../../../shared/events.js';
import { type AuthContext, authConfig, requestIp } from '../context.js';
import {
  ClientAuthenticationError,
  parseClientCredentials,
  verifyClientSecret,
  BASIC_CHALLENGE,
} from '../domain/client-authentication.js';
import { chargeFailedAuthentication, enforceRateLimit, type RateLimitedEndpoint } from '../domain/rate-limit.js';
import { type ClientRecord, getClient, storedSecretHash } from '../storage/clients.js';

export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

/**
 * Body-reading failures as RFC 6749 errors. A wrong media type (a JSON body at the token endpoint) is
 * `invalid_request` with status 400, not 415: RFC 6749 §5.2 answers request errors with 400, and clients switch
 * on `error`. An oversized body keeps its 413.
 */
function asOAuthError(err: unknown): unknown {
  if (err instanceof OAuthError || !(err instanceof PlatformError)) return err;
  const status = err.status === 415 ? 400 : err.status;
  return new OAuthError('invalid_request', err.message, status, err.headers);
}

/** Reads an application/x-www-form-urlencoded body (duplicate parameters are rejected, except `repeatable`). */
export async function readOAuthForm(c: AuthContext, repeatable?: ReadonlySet<string>): Promise<Map<string, string[]>> {
  try {
    return await readFormBody(c.req.raw, authConfig(c).MAX_BODY_BYTES, repeatable);
  } catch (err) {
    throw asOAuthError(err);
  }
}

export async function readOAuthJson(c: AuthContext): Promise<unknown> {
  try {
    return await readJsonBody(c.req.raw, authConfig(c).MAX_BODY_BYTES);
  } catch (err) {
    throw asOAuthError(err);
  }
}

/** A parameter that may appear at most once (duplicates were already rejected by the form reader). */
export function param(form: ReadonlyMap<string, readonly string[]>, name: string): string | undefined {
  return form.get(name)?.[0];
}

/**
 * Security events are written after the response, batched per isolate: the first event of a batch schedules one
 * flush (in its request's `waitUntil`) EVENT_FLUSH_MS later, and every event queued meanwhile rides along in the
 * same Redis pipeline. One XADD round trip per token was the largest cost of the token endpoint under load; this
 * makes it one per batch. Each event keeps its own id and time. The queue is bounded: past MAX_QUEUED_EVENTS
 * the oldest are dropped (and counted in the log) rather than growing the isolate's memory.
 */
const EVENT_FLUSH_MS = 20;
const MAX_QUEUED_EVENTS = 10_000;
let queued: SecurityEvent[] = [];
let flushScheduled = false;
let dropped = 0;

async function flushEvents(config: ReturnType<typeof authConfig>): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, EVENT_FLUSH_MS));
  const batch = queued;
  queued = [];
  flushScheduled = false;
  if (dropped > 0) {
    console.log(JSON.stringify({ level: 'error', service: 'auth', msg: 'security events dropped', count: dropped }));
    dropped = 0;
  }
  await appendSecurityEvents(config, batch);
}

export function emit(
  c: AuthContext,
  type: SecurityEventType,
  outcome: SecurityEventOutcome,
  clientId: string | undefined,
  details: Record<string, unknown> = {},
): void {
  const ua = c.req.header('user-agent');
  if (queued.length >= MAX_QUEUED_EVENTS) {
    queued.shift();
    dropped++;
  }
  queued.push(
    buildSecurityEvent('auth', {
      type,
      outcome,
      client_id: clientId,
      ip: requestIp(c),
      user_agent: ua ? ua.slice(0, 256) : undefined,
      request_id: c.get('requestId'),
      details,
    }),
  );
  if (!flushScheduled) {
    flushScheduled = true;
    c.executionCtx.waitUntil(flushEvents(authConfig(c)));
  }
}

/** `invalid_client` (401); the Basic challenge only when the client authenticated with Basic (RFC 6749 §5.2). */
function authenticationFailed(method: string): OAuthError {
  const headers: Record<string, string> =
    method === 'client_secret_basic' ? { 'www-authenticate': BASIC_CHALLENGE } : {};
  return new OAuthError('invalid_client', 'client authentication failed', 401, headers);
}

/**
 * Authenticates the calling client (client_secret_basic or client_secret_post) and applies the endpoint's rate
 * limit. Unknown, deleted and wrongly authenticated clients get the same `invalid_client`, and the failure is
 * charged extra by the rate limiter so secret guessing is throttled. A client must use the method it registered
 * (`token_endpoint_auth_method`) at every endpoint that authenticates it.
 */
export async function authenticateClient(
  c: AuthContext,
  form: ReadonlyMap<string, readonly string[]>,
  endpoint: RateLimitedEndpoint,
): Promise<ClientRecord> {
  const ip = requestIp(c);
  let credentials: ReturnType<typeof parseClientCredentials>;
  try {
    credentials = parseClientCredentials(c.req.header('authorization'), form);
  } catch (err) {
    if (!(err instanceof ClientAuthenticationError)) throw err;
    await enforceRateLimit(c, { endpoint, ip });
    if (err.oauthError === 'invalid_client') {
      await chargeFailedAuthentication(c, { ip });
      emit(c, 'client.authentication_failed', 'failure', undefined, { endpoint, reason: err.code });
    }
    throw new OAuthError(err.oauthError, err.message, err.status, err.headers);
  }

  const record = await getClient(authConfig(c), credentials.clientId);
  const client = record?.status === 'active' ? record : null;
  await enforceRateLimit(c, {
    endpoint,
    clientId: client?.clientId,
    ip,
    clientLimit: client?.rateLimit ?? null,
  });
  const secretOk = await verifyClientSecret(credentials.clientSecret, client ? storedSecretHash(client) : null);
  let reason: string | undefined;
  if (!client) reason = 'unknown_client';
  else if (!secretOk) reason = 'wrong_secret';
  else if (client.metadata.token_endpoint_auth_method !== credentials.method) reason = 'auth_method_not_registered';
  if (reason !== undefined || !client) {
    await chargeFailedAuthentication(c, { clientId: client?.clientId, ip });
    emit(c, 'client.authentication_failed', 'failure', client?.clientId, {
      endpoint,
      reason,
      method: credentials.method,
      // An unknown client id is not a secret; it helps spot enumeration.
      ...(client ? {} : { presented_client_id: credentials.clientId.slice(0, 64) }),
    });
    throw authenticationFailed(credentials.method);
  }
  return client;
}
