/**
 * The one read-modify-write step every backend runs, and the stored form of a document.
 *
 * Stored form (the same bytes in memory, in a Durable Object and in Redis):
 *
 *     s1|<version>|<expiresAt ms or empty>|<JSON document>
 *
 * `version` is a fresh random token per write. Redis compares it to decide a compare-and-set; being random rather
 * than a counter, a document deleted and created again never repeats a version a slow writer still holds. On the
 * other backends it makes "was this written?" observable in tests.
 */
import { randomToken } from '../crypto.js';
import { StateFault } from './errors.js';
import type { AnyMachine } from './machine.js';

/** Largest document (UTF-8 bytes of its JSON): below the Durable Object value limit and a Redis bridge request. */
export const MAX_DOC_BYTES = 256 * 1024;

const HEADER = /^s1\|([A-Za-z0-9_-]{16})\|(\d{0,16})\|/;

export interface StoredDocument {
  version: string;
  expiresAt: number | undefined;
  /** The document's JSON text, as stored. */
  body: string;
}

export function encodeDocument(doc: StoredDocument): string {
  return `s1|${doc.version}|${doc.expiresAt ?? ''}|${doc.body}`;
}

/** Splits a stored value; undefined when it is not one this module wrote. */
export function parseStored(stored: string): StoredDocument | undefined {
  if (typeof stored !== 'string') return undefined;
  const m = HEADER.exec(stored);
  if (!m) return undefined;
  return {
    version: m[1] as string,
    expiresAt: m[2] ? Number(m[2]) : undefined,
    body: stored.slice(m[0].length),
  };
}

/** A new random version token: 96 bits, base64url. */
export function newVersion(): string {
  return randomToken(12);
}

export type Write =
  | { kind: 'none' }
  | { kind: 'delete' }
  | { kind: 'put'; stored: string; version: string; expiresAt: number | undefined };

export interface Step {
  result: unknown;
  write: Write;
  /** Version of the value that was read ('' when there was none), for a compare-and-set. */
  readVersion: string;
}

/**
 * Runs `machine.transitions[op]` on a stored value (undefined: no value) at time `now` and says what to write.
 * Throws StateFault for a corrupt value, an unknown operation, a failing transition or an unstorable outcome;
 * in every such case nothing may be written.
 */
export function runStep(machine: AnyMachine, op: string, stored: string | undefined, args: unknown, now: number): Step {
  const transition = Object.hasOwn(machine.transitions, op) ? machine.transitions[op] : undefined;
  if (typeof transition !== 'function') {
    throw new StateFault('ERR_STATE_UNKNOWN_OPERATION', `no operation ${op} in state machine ${machine.name}`);
  }
  const current = stored === undefined || stored === null ? undefined : readDocument(machine, stored);
  const live = current && !(current.expiresAt !== undefined && current.expiresAt <= now) ? current : undefined;
  const readVersion = current?.version ?? '';

  let outcome: { doc?: unknown; result?: unknown; expiresAt?: unknown };
  try {
    outcome = transition(live?.doc, args, now);
  } catch (err) {
    throw new StateFault('ERR_STATE_TRANSITION_FAILED', `${machine.name}.${op} threw: ${String(err)}`, { cause: err });
  }
  if (typeof outcome !== 'object' || outcome === null || !('result' in outcome)) {
    throw new StateFault('ERR_STATE_TRANSITION_FAILED', `${machine.name}.${op} returned no outcome`);
  }
  const { result } = outcome;
  const none: Step = { result, write: { kind: 'none' }, readVersion };

  if (outcome.doc === undefined) return live || current ? { ...none, write: { kind: 'delete' } } : none;

  let expiresAt = live?.expiresAt;
  if (outcome.expiresAt !== undefined) {
    if (typeof outcome.expiresAt !== 'number' || !Number.isFinite(outcome.expiresAt) || outcome.expiresAt < 0) {
      throw new StateFault('ERR_STATE_TRANSITION_FAILED', `${machine.name}.${op} returned an invalid expiresAt`);
    }
    expiresAt = Math.ceil(outcome.expiresAt);
  }
  if (expiresAt !== undefined && expiresAt <= now) return current ? { ...none, write: { kind: 'delete' } } : none;
  if (live && outcome.doc === live.doc && expiresAt === live.expiresAt) return none;

  if (!machine.validate(outcome.doc)) {
    throw new StateFault(
      'ERR_STATE_TRANSITION_FAILED',
      `${machine.name}.${op} produced a document its validate refuses`,
    );
  }
  let body: string | undefined;
  try {
    body = JSON.stringify(outcome.doc);
  } catch (err) {
    throw new StateFault('ERR_STATE_TRANSITION_FAILED', `${machine.name}.${op} produced a document that is not JSON`, {
      cause: err,
    });
  }
  if (typeof body !== 'string') {
    throw new StateFault('ERR_STATE_TRANSITION_FAILED', `${machine.name}.${op} produced a document that is not JSON`);
  }
  if (live && body === live.body && expiresAt === live.expiresAt) return none;
  if (utf8Length(body, MAX_DOC_BYTES) > MAX_DOC_BYTES) {
    throw new StateFault(
      'ERR_STATE_TOO_LARGE',
      `${machine.name}.${op} produced a document over ${MAX_DOC_BYTES} bytes`,
    );
  }
  const version = newVersion();
  return {
    result,
    readVersion,
    write: { kind: 'put', stored: encodeDocument({ version, expiresAt, body }), version, expiresAt },
  };
}

interface ReadDocument extends StoredDocument {
  doc: unknown;
}

/** Parses and checks a stored value. Nothing about it is trusted until `validate` accepted it. */
function readDocument(machine: AnyMachine, stored: string): ReadDocument {
  const parsed = parseStored(stored);
  if (!parsed) throw new StateFault('ERR_STATE_CORRUPT', `a stored ${machine.name} document is malformed`);
  let doc: unknown;
  try {
    doc = JSON.parse(parsed.body);
  } catch (err) {
    throw new StateFault('ERR_STATE_CORRUPT', `a stored ${machine.name} document is not JSON`, { cause: err });
  }
  if (!machine.validate(doc)) {
    throw new StateFault('ERR_STATE_CORRUPT', `a stored ${machine.name} document fails validation`);
  }
  return { ...parsed, doc: deepFreeze(doc) };
}

/** The expiry in a stored value, or undefined (none, or not a value this module wrote). */
export function storedExpiry(stored: unknown): number | undefined {
  return typeof stored === 'string' ? parseStored(stored)?.expiresAt : undefined;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** UTF-8 length, computed exactly only when the UTF-16 length leaves it in doubt. */
function utf8Length(text: string, limit: number): number {
  if (text.length > limit) return text.length;
  if (text.length * 3 <= limit) return text.length;
  return new TextEncoder().encode(text).length;
}
