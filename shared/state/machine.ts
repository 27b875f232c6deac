/**
 * State machines: a named set of pure transitions over one JSON document per key.
 *
 * A transition gets the current document (undefined when there is none, or it expired), the caller's arguments
 * and the store's clock, and returns the next document with a result for the caller. It does no I/O, so the same
 * function runs unchanged inside a Durable Object, beside a Redis compare-and-set, and in memory; a store only
 * decides where the document lives and how the read-modify-write is made atomic.
 *
 * Rules a transition follows (the stores enforce them):
 * - `doc` is frozen: build a new document instead of mutating it (a mutation throws and nothing is written).
 * - Returning the document unchanged (the same object, or one that serialises the same, with the same expiry)
 *   writes nothing, so reads cost no write on any backend.
 * - `doc: undefined` deletes. `expiresAt` (epoch ms) makes the document read as absent from then on and lets the
 *   backend reclaim it; omitted on a write, the stored expiry is kept (none for a new document). An expiry at or
 *   before `now` deletes.
 * - Throwing aborts the operation with no write (the caller gets a StateFault).
 * - Documents must be JSON; arguments and results must be structured-cloneable (they cross an RPC boundary to a
 *   Durable Object).
 */

export interface Outcome<D, R> {
  /** The next document; undefined deletes it. */
  doc: D | undefined;
  /** What the caller gets back. */
  result: R;
  /** Epoch milliseconds after which the document no longer exists. Omitted: the stored expiry is kept. */
  expiresAt?: number;
}

export type Transition<D, A, R> = (doc: D | undefined, args: A, now: number) => Outcome<D, R>;

export type Transitions<D> = Record<string, Transition<D, any, any>>;

export interface Machine<D, T extends Transitions<D> = Transitions<D>> {
  /** Lower-case letters, digits and dashes; part of every storage key, so renaming one orphans its documents. */
  readonly name: string;
  /**
   * Checks a document read from storage (and every document a transition writes). Stored data is never trusted:
   * a document that fails this check fails the operation (StateFault ERR_STATE_CORRUPT) instead of reaching a
   * transition.
   */
  readonly validate: (doc: unknown) => doc is D;
  readonly transitions: T;
}

export type AnyMachine = Machine<any, Transitions<any>>;

export type OpName<M extends AnyMachine> = Extract<keyof M['transitions'], string>;
export type ArgsOf<M extends AnyMachine, K extends OpName<M>> = Parameters<M['transitions'][K]>[1];
export type ResultOf<M extends AnyMachine, K extends OpName<M>> = ReturnType<M['transitions'][K]>['result'];

const MACHINE_NAME = /^[a-z][a-z0-9-]{0,62}$/;

/**
 * Declares a machine. The document type comes from `validate`, so transitions are typed without annotations
 * beyond their arguments:
 *
 *     const counter = defineMachine({
 *       name: 'counter',
 *       validate: (d): d is { n: number } => isRecord(d) && typeof d.n === 'number',
 *       transitions: {
 *         add: (doc, by: number) => ({ doc: { n: (doc?.n ?? 0) + by }, result: (doc?.n ?? 0) + by }),
 *         get: (doc) => ({ doc, result: doc?.n ?? 0 }),
 *       },
 *     });
 */
export function defineMachine<D, T extends Transitions<D>>(machine: {
  name: string;
  validate: (doc: unknown) => doc is D;
  transitions: T;
}): Machine<D, T> {
  if (!MACHINE_NAME.test(machine.name)) throw new TypeError(`invalid machine name "${machine.name}"`);
  for (const [op, fn] of Object.entries(machine.transitions)) {
    if (typeof fn !== 'function') throw new TypeError(`${machine.name}.${op} is not a function`);
  }
  return Object.freeze({ name: machine.name, validate: machine.validate, transitions: machine.transitions });
}

/** True for a plain JSON object (the usual first line of a `validate`). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A document that carries its own end: `expiresAt`, epoch seconds (the pure rules' clock). */
export interface Expiring {
  expiresAt: number;
}

/** The transition that stores its argument as the document, until the document's own `expiresAt`; answers true. */
export function storeUntilExpiry<D extends Expiring>(): Transition<D, D, boolean> {
  return (_doc, next) => ({ doc: next, result: true, expiresAt: next.expiresAt * 1000 });
}

/** The transition that reads the document while its `expiresAt` is ahead (null from then on); it writes nothing. */
export function readUnexpired<D extends Expiring>(): Transition<D, undefined, D | null> {
  return (doc, _args, now) => ({ doc, result: doc && doc.expiresAt > Math.floor(now / 1000) ? doc : null });
}
