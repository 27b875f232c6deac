/**
 * Browser sessions at the OpenID Provider (the pure rules; the records live in the state store).
 *
 * - A session id is 256 random bits, sent only in the session cookie; the store keys the record by its hash.
 * - Every successful authentication starts a new session with a new id, even for the same user and browser,
 *   and names the old one for removal: an id planted before sign-in (session fixation) is never promoted, and
 *   re-authentication (prompt=login, max_age) also rotates it.
 * - A session ends after `idleSeconds` without use or `absoluteSeconds` after sign-in, whichever comes first.
 *   Use is recorded at most every `touchIntervalSeconds`, so a busy browser does not write on every request.
 */
import { base64url, hashSecret, randomToken, sha256 } from '../../../../../shared/crypto.js';

export interface SessionPolicy {
  idleSeconds: number;
  absoluteSeconds: number;
  touchIntervalSeconds: number;
}

export const DEFAULT_SESSION_POLICY: Readonly<SessionPolicy> = Object.freeze({
  idleSeconds: 3 * 24 * 3600,
  absoluteSeconds: 30 * 24 * 3600,
  touchIntervalSeconds: 300,
});

export interface Session {
  id: string;
  userId: string;
  /** Seconds: when this session started (= the last authentication). */
  createdAt: number;
  lastSeenAt: number;
  /** Seconds: when the user last authenticated (auth_time). */
  authTime: number;
  /** Authentication methods used (RFC 8176 values, e.g. "pwd", "otp", "hwk"). */
  amr: string[];
  acr?: string;
  /** For the "your sessions" page: what the browser said it was, shortened. */
  userAgent?: string;
}

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export function isSessionId(value: unknown): value is string {
  return typeof value === 'string' && SESSION_ID.test(value);
}

/** The store key for a session id (only the hash is stored). */
export function sessionKey(id: string): Promise<string> {
  return hashSecret(id);
}

export interface StartSession {
  userId: string;
  now: number;
  amr: readonly string[];
  acr?: string;
  userAgent?: string;
  /** The session the browser presented, if any: it is replaced, never reused. */
  previousSessionId?: string;
}

export function startSession(input: StartSession): { session: Session; endSessionIds: string[] } {
  const session: Session = {
    id: randomToken(32),
    userId: input.userId,
    createdAt: input.now,
    lastSeenAt: input.now,
    authTime: input.now,
    amr: [...input.amr],
  };
  if (input.acr !== undefined) session.acr = input.acr;
  if (input.userAgent !== undefined) session.userAgent = input.userAgent.slice(0, 200);
  return { session, endSessionIds: input.previousSessionId ? [input.previousSessionId] : [] };
}

export type SessionStatus = 'active' | 'idle-expired' | 'expired';

export function sessionStatus(
  session: Session,
  now: number,
  policy: SessionPolicy = DEFAULT_SESSION_POLICY,
): SessionStatus {
  if (now >= session.createdAt + policy.absoluteSeconds) return 'expired';
  if (now >= session.lastSeenAt + policy.idleSeconds) return 'idle-expired';
  return 'active';
}

/** True when `lastSeenAt` should be written now. */
export function shouldTouch(session: Session, now: number, policy: SessionPolicy = DEFAULT_SESSION_POLICY): boolean {
  return now - session.lastSeenAt >= policy.touchIntervalSeconds;
}

/** Seconds the session (and so its cookie) may still live, whichever limit comes first. */
export function remainingLifetime(
  session: Session,
  now: number,
  policy: SessionPolicy = DEFAULT_SESSION_POLICY,
): number {
  return Math.max(
    0,
    Math.min(session.createdAt + policy.absoluteSeconds - now, session.lastSeenAt + policy.idleSeconds - now),
  );
}

/**
 * The session's public identifier: the ID token's `sid` and the handle the "your sessions" page posts. One-way
 * from the id (a bearer secret), so neither reveals it.
 */
export async function sessionHandle(id: string): Promise<string> {
  return base64url(await sha256(`sid-v1|${id}`)).slice(0, 32);
}
