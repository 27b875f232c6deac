/**
 * Browser sessions over the keyed-state store: starting one at sign-in (a new id every time, the previous one
 * ended), reading the browser's current one from its cookie, ending one or all of a user's.
 */
import { machineClient } from '../../../../../shared/state/store.js';
import type { AuthServices } from '../../services.js';
import { readCookie, setCookie } from '../domain/cookies.js';
import { type SessionEntry, sessions, userSessions } from '../domain/login-state.js';
import { isSessionId, type Session, sessionHandle, sessionKey, startSession } from '../domain/session.js';

export interface CurrentSession {
  id: string;
  session: Session;
  /** Its public handle (the ID token's sid). */
  handle: string;
}

/** The browser's active session, from its session cookie; undefined when absent, unknown or expired. */
export async function currentSession(
  services: AuthServices,
  cookieHeader: string | undefined,
): Promise<CurrentSession | undefined> {
  const id = readCookie(cookieHeader, 'session', services.login.cookies);
  if (!isSessionId(id)) return undefined;
  const key = await sessionKey(id);
  const stored = await machineClient(services.state, sessions).read(key, services.login.sessionPolicy);
  if (!stored || stored.id !== key) return undefined;
  // The store holds the id's hash only (a dump yields no usable cookie); the browser's id is the real one.
  return { id, session: { ...stored, id }, handle: await sessionHandle(id) };
}

export interface StartedSession extends CurrentSession {
  /** The Set-Cookie header value. */
  cookie: string;
}

/** Starts a new session for `userId`, ending `previous` (never reused: no session fixation). */
export async function beginSession(
  services: AuthServices,
  input: { userId: string; amr: string[]; acr?: string; userAgent?: string; previous?: CurrentSession },
): Promise<StartedSession> {
  const now = Math.floor(Date.now() / 1000);
  if (input.previous) await endSession(services, input.previous.session);
  const { session } = startSession({
    userId: input.userId,
    now,
    amr: input.amr,
    userAgent: input.userAgent,
    ...(input.acr ? { acr: input.acr } : {}),
  });
  const policy = services.login.sessionPolicy;
  const key = await sessionKey(session.id);
  const handle = await sessionHandle(session.id);
  // Stored under and with the hash of its id: the id itself is a bearer secret that only the cookie carries.
  await machineClient(services.state, sessions).create(key, { session: { ...session, id: key }, policy });
  const dropped = await machineClient(services.state, userSessions).add(session.userId, {
    key,
    handle,
    createdAt: now,
    endsAt: now + policy.absoluteSeconds,
    ...(session.userAgent ? { userAgent: session.userAgent } : {}),
  });
  for (const entry of dropped) await machineClient(services.state, sessions).end(entry.key);
  const cookie = setCookie('session', session.id, services.login.cookies, { maxAge: policy.absoluteSeconds });
  return { id: session.id, session, handle, cookie };
}

/** Ends one session (sign-out, replacement at sign-in). */
export async function endSession(services: AuthServices, session: Session): Promise<void> {
  const key = await sessionKey(session.id);
  await machineClient(services.state, sessions).end(key);
  await machineClient(services.state, userSessions).remove(session.userId, { key });
}

/** Ends every session of a user (operator "revoke all"); answers how many were ended. */
export async function endAllSessions(services: AuthServices, userId: string): Promise<number> {
  const entries = await machineClient(services.state, userSessions).clear(userId);
  for (const entry of entries) await machineClient(services.state, sessions).end(entry.key);
  return entries.length;
}

/** The user's live sessions (their index entries: handle, times, user agent; never a session id). */
export function listUserSessions(services: AuthServices, userId: string): Promise<SessionEntry[]> {
  return machineClient(services.state, userSessions).list(userId, undefined);
}

/** Ends the user's session with this public handle; false when the user has none such. */
export async function endUserSession(services: AuthServices, userId: string, handle: string): Promise<boolean> {
  const entry = await machineClient(services.state, userSessions).remove(userId, { handle });
  if (!entry) return false;
  await machineClient(services.state, sessions).end(entry.key);
  return true;
}
