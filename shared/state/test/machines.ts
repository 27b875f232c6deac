/**
 * Machines the conformance suite, the 2-replica test and the benchmark drive. Small, but each one stands for a
 * real use: `counter` for read-modify-write under contention, `once` for single-use codes and challenges,
 * `ledger` for detecting lost or doubled updates, `blob` for size and expiry, `faulty` for broken transitions.
 */
import { defineMachine, isRecord } from '../machine.js';

export interface CounterDoc {
  n: number;
}

export const counter = defineMachine({
  name: 'counter',
  validate: (d): d is CounterDoc => isRecord(d) && Number.isInteger(d.n),
  transitions: {
    add: (doc, by: number) => {
      const n = (doc?.n ?? 0) + by;
      return { doc: { n }, result: n };
    },
    get: (doc) => ({ doc, result: doc?.n ?? 0 }),
    /** Rebuilds an equal document: must not count as a write either. */
    rebuild: (doc) => ({ doc: doc ? { n: doc.n } : undefined, result: doc?.n ?? 0 }),
    /** Sets the value and an expiry `ttlMs` from now. */
    setExpiring: (_doc, args: { n: number; ttlMs: number }, now) => ({
      doc: { n: args.n },
      result: args.n,
      expiresAt: now + args.ttlMs,
    }),
    /** Moves the expiry without changing the value (a session touch). */
    touch: (doc, ttlMs: number, now) => ({ doc, result: doc !== undefined, expiresAt: now + ttlMs }),
    remove: (doc) => ({ doc: undefined, result: doc !== undefined }),
  },
});

export interface OnceDoc {
  used: boolean;
  by?: string;
}

export type ConsumeResult = { won: true } | { won: false; reason: 'used' | 'missing' };

export const once = defineMachine({
  name: 'once',
  validate: (d): d is OnceDoc =>
    isRecord(d) && typeof d.used === 'boolean' && (d.by === undefined || typeof d.by === 'string'),
  transitions: {
    issue: (doc, ttlMs: number, now) =>
      doc ? { doc, result: false } : { doc: { used: false }, result: true, expiresAt: now + ttlMs },
    consume: (doc, by: string): { doc: OnceDoc | undefined; result: ConsumeResult } => {
      if (!doc) return { doc, result: { won: false, reason: 'missing' } };
      if (doc.used) return { doc, result: { won: false, reason: 'used' } };
      return { doc: { used: true, by }, result: { won: true } };
    },
    peek: (doc) => ({ doc, result: doc ?? null }),
  },
});

export interface LedgerDoc {
  ids: string[];
}

export const ledger = defineMachine({
  name: 'ledger',
  validate: (d): d is LedgerDoc => isRecord(d) && Array.isArray(d.ids) && d.ids.every((x) => typeof x === 'string'),
  transitions: {
    /** Appends even a repeated id, so a doubled update shows as a duplicate. */
    append: (doc, id: string) => {
      const ids = [...(doc?.ids ?? []), id];
      return { doc: { ids }, result: ids.length };
    },
    get: (doc) => ({ doc, result: doc?.ids ?? [] }),
  },
});

export interface BlobDoc {
  data: string;
}

export const blob = defineMachine({
  name: 'blob',
  validate: (d): d is BlobDoc => isRecord(d) && typeof d.data === 'string',
  transitions: {
    put: (_doc, data: string) => ({ doc: { data }, result: data.length }),
    get: (doc) => ({ doc, result: doc?.data ?? null }),
  },
});

export const faulty = defineMachine({
  name: 'faulty',
  validate: (d): d is CounterDoc => isRecord(d) && Number.isInteger(d.n),
  transitions: {
    set: (_doc, n: number) => ({ doc: { n }, result: n }),
    throws: (): { doc: CounterDoc; result: number } => {
      throw new Error('transition failed on purpose');
    },
    /** Mutates the document it was given, then returns it: the store must refuse, not write. */
    mutates: (doc) => {
      if (doc) (doc as { n: number }).n += 1;
      return { doc, result: doc?.n ?? 0 };
    },
    invalidDoc: () => ({ doc: { n: 'x' } as unknown as CounterDoc, result: 0 }),
    notJson: () => ({ doc: { n: 1, big: BigInt(1) } as unknown as CounterDoc, result: 0 }),
    badExpiry: (doc) => ({ doc: { n: (doc?.n ?? 0) + 1 }, result: 0, expiresAt: Number.NaN }),
    noOutcome: () => undefined as unknown as { doc: undefined; result: undefined },
  },
});

export const TEST_MACHINES = [counter, once, ledger, blob, faulty];

export const TEST_MACHINES_BY_NAME = new Map(TEST_MACHINES.map((m) => [m.name, m]));
