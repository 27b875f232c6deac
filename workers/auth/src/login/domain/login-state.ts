/**
 * The hosted login's strongly consistent state, as keyed-state machines (shared/state): login transactions,
 * sessions and each user's index of them, remembered consents, and sign-in failure counters. Keys are hashes of
 * the secrets (transaction and session ids) or non-secret identifiers (user id, client id, counter key).
 * Times: machine `now` is epoch ms; the documents keep epoch seconds like the pure rules they come from.
 */
import { defineMachine, isRecord, storeUntilExpiry } from '../../../../../shared/state/machine.js';
import type { LoginTransaction } from './login-transaction.js';
import { type Session, type SessionPolicy, sessionStatus, shouldTouch } from './session.js';
import type { FailureCounter } from './throttle.js';

const sec = (ms: number) => Math.floor(ms / 1000);
const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

export const loginTransactions = defineMachine({
  name: 'login-transaction',
  validate: (d): d is LoginTransaction =>
    isRecord(d) &&
    typeof d.id === 'string' &&
    isRecord(d.request) &&
    typeof d.createdAt === 'number' &&
    typeof d.expiresAt === 'number',
  transitions: {
    put: storeUntilExpiry<LoginTransaction>(),
    get: (doc: LoginTransaction | undefined) => ({ doc, result: doc ?? null }),
    /** One transaction, one code: taken when the code is issued (or the request ends in an error). */
    consume: (doc: LoginTransaction | undefined) => ({ doc: undefined, result: doc ?? null }),
  },
});

function isSession(d: unknown): d is Session {
  return (
    isRecord(d) &&
    typeof d.id === 'string' &&
    typeof d.userId === 'string' &&
    typeof d.createdAt === 'number' &&
    typeof d.lastSeenAt === 'number' &&
    typeof d.authTime === 'number' &&
    strings(d.amr)
  );
}

/** When the session's document should disappear: its idle or absolute end, whichever is first (ms). */
function sessionEnd(s: Session, policy: SessionPolicy): number {
  return Math.min(s.createdAt + policy.absoluteSeconds, s.lastSeenAt + policy.idleSeconds) * 1000;
}

export const sessions = defineMachine({
  name: 'session',
  validate: isSession,
  transitions: {
    create: (_doc: Session | undefined, args: { session: Session; policy: SessionPolicy }) => ({
      doc: args.session,
      result: true,
      expiresAt: sessionEnd(args.session, args.policy),
    }),
    /** The active session, its use recorded at most every touch interval; an expired one is deleted. */
    read: (doc: Session | undefined, policy: SessionPolicy, now: number) => {
      if (!doc) return { doc, result: null };
      if (sessionStatus(doc, sec(now), policy) !== 'active') return { doc: undefined, result: null };
      if (!shouldTouch(doc, sec(now), policy)) return { doc, result: doc };
      const touched = { ...doc, lastSeenAt: sec(now) };
      return { doc: touched, result: touched, expiresAt: sessionEnd(touched, policy) };
    },
    end: (doc: Session | undefined) => ({ doc: undefined, result: doc ?? null }),
  },
});

/** One row of a user's session index: enough to list and end it without the session id (a bearer secret). */
export interface SessionEntry {
  /** The session's store key (hash of its id). */
  key: string;
  /** Opaque handle the "your sessions" page posts to end it. */
  handle: string;
  createdAt: number;
  /** Epoch seconds after which the session is gone whatever happens (its absolute lifetime). */
  endsAt: number;
  userAgent?: string;
}

export interface SessionIndex {
  entries: SessionEntry[];
}

/** A user keeps at most this many sessions; the oldest goes when another starts. */
export const MAX_SESSIONS_PER_USER = 50;

function isSessionIndex(d: unknown): d is SessionIndex {
  return (
    isRecord(d) &&
    Array.isArray(d.entries) &&
    d.entries.every(
      (e) =>
        isRecord(e) &&
        typeof e.key === 'string' &&
        typeof e.handle === 'string' &&
        typeof e.createdAt === 'number' &&
        typeof e.endsAt === 'number',
    )
  );
}

function live(entries: readonly SessionEntry[], now: number): SessionEntry[] {
  return entries.filter((e) => e.endsAt > sec(now));
}

function indexOutcome(entries: SessionEntry[]) {
  if (entries.length === 0) return { doc: undefined };
  return { doc: { entries }, expiresAt: Math.max(...entries.map((e) => e.endsAt)) * 1000 };
}

export const userSessions = defineMachine({
  name: 'user-sessions',
  validate: isSessionIndex,
  transitions: {
    /** Adds a session; answers the entries pushed out by the cap (their sessions must be ended). */
    add: (doc: SessionIndex | undefined, entry: SessionEntry, now: number) => {
      const all = [...live(doc?.entries ?? [], now), entry];
      const dropped = all.length > MAX_SESSIONS_PER_USER ? all.splice(0, all.length - MAX_SESSIONS_PER_USER) : [];
      return { ...indexOutcome(all), result: dropped };
    },
    list: (doc: SessionIndex | undefined, _args: undefined, now: number) => {
      if (!doc) return { doc, result: [] as SessionEntry[] };
      const entries = live(doc.entries, now);
      if (entries.length === doc.entries.length) return { doc, result: entries };
      return { ...indexOutcome(entries), result: entries };
    },
    /** Removes the entry with this key or handle; answers it (null when absent). */
    remove: (doc: SessionIndex | undefined, which: { key?: string; handle?: string }) => {
      const found = doc?.entries.find((e) => e.key === which.key || e.handle === which.handle);
      if (!doc || !found) return { doc, result: null };
      return { ...indexOutcome(doc.entries.filter((e) => e !== found)), result: found };
    },
    /** Removes every entry (operator "revoke all"); answers them so their sessions can be ended. */
    clear: (doc: SessionIndex | undefined) => ({ doc: undefined, result: doc?.entries ?? [] }),
  },
});

export interface ConsentGrant {
  scopes: string[];
  grantedAt: number;
}

/** A user's remembered consents, one document per user (so "apps you allowed" is one read), by client id. */
export interface UserConsents {
  clients: Record<string, ConsentGrant>;
}

/** A user keeps at most this many remembered grants; the oldest goes first. */
export const MAX_CONSENTS_PER_USER = 200;

function isUserConsents(d: unknown): d is UserConsents {
  return (
    isRecord(d) &&
    isRecord(d.clients) &&
    Object.values(d.clients).every((g) => isRecord(g) && strings(g.scopes) && typeof g.grantedAt === 'number')
  );
}

export const consents = defineMachine({
  name: 'consents',
  validate: isUserConsents,
  transitions: {
    /** The scopes the user granted this client (empty when never). */
    get: (doc: UserConsents | undefined, clientId: string) => ({
      doc,
      result: Object.hasOwn(doc?.clients ?? {}, clientId) ? doc!.clients[clientId]!.scopes : [],
    }),
    list: (doc: UserConsents | undefined) => ({ doc, result: doc?.clients ?? {} }),
    grant: (doc: UserConsents | undefined, args: { clientId: string; scopes: string[] }, now: number) => {
      const clients = { ...(doc?.clients ?? {}) };
      const before = Object.hasOwn(clients, args.clientId) ? clients[args.clientId]!.scopes : [];
      delete clients[args.clientId];
      clients[args.clientId] = { scopes: [...new Set([...before, ...args.scopes])], grantedAt: sec(now) };
      const ids = Object.keys(clients);
      for (const id of ids.slice(0, Math.max(0, ids.length - MAX_CONSENTS_PER_USER))) delete clients[id];
      return { doc: { clients }, result: true };
    },
    /** Forgets the grant to one client; true when there was one. */
    revoke: (doc: UserConsents | undefined, clientId: string) => {
      if (!doc || !Object.hasOwn(doc.clients, clientId)) return { doc, result: false };
      const clients = { ...doc.clients };
      delete clients[clientId];
      return { doc: Object.keys(clients).length > 0 ? { clients } : undefined, result: true };
    },
  },
});

export const loginFailures = defineMachine({
  name: 'login-failures',
  validate: (d): d is FailureCounter =>
    isRecord(d) && typeof d.failures === 'number' && typeof d.lastFailureAt === 'number',
  transitions: {
    get: (doc: FailureCounter | undefined) => ({ doc, result: doc ?? null }),
    /** One more failure; a counter past its window starts again. Forgotten `windowSeconds` after the last one. */
    fail: (doc: FailureCounter | undefined, windowSeconds: number, now: number) => {
      const stale = !doc || sec(now) - doc.lastFailureAt >= windowSeconds;
      const next = { failures: stale ? 1 : doc.failures + 1, lastFailureAt: sec(now) };
      return { doc: next, result: next, expiresAt: now + windowSeconds * 1000 };
    },
    clear: (_doc: FailureCounter | undefined) => ({ doc: undefined, result: true }),
  },
});

export const LOGIN_MACHINES = [loginTransactions, sessions, userSessions, consents, loginFailures] as const;
