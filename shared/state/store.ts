/**
 * The keyed-state store: applies a machine's transition atomically to the document at (machine, key).
 *
 * Every backend gives the same guarantee: operations on one (machine, key) are linearizable. Each one reads the
 * current document, runs the pure transition and writes the outcome as one atomic step, so concurrent callers on
 * any isolate, process or replica behave as if they ran one after another. A failure is an exception, never a
 * silent success: StateUnavailableError (503-able: the store could not be reached, did not answer in time, or
 * could not settle contention) or StateFault (a bug or tampered data: corrupt document, failing transition).
 */
import type { AnyMachine, ArgsOf, OpName, ResultOf } from './machine.js';

export type StateBackend = 'memory' | 'durable-object' | 'redis';

export interface StateStore {
  readonly backend: StateBackend;
  /** Runs `machine.transitions[op]` on the document at `key` and returns its result. */
  apply(machine: AnyMachine, key: string, op: string, args: unknown): Promise<unknown>;
}

/** Keys are opaque to the store; derive them from secrets by hashing, never use a secret itself. */
export const MAX_KEY_LENGTH = 512;

export function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new TypeError(`state keys are 1 to ${MAX_KEY_LENGTH} characters`);
  }
}

type OptionalArgs<A> = undefined extends A ? [args?: A] : [args: A];

/** A machine's operations as typed methods on one store: `client.redeem(key, args)`. */
export type MachineClient<M extends AnyMachine> = {
  readonly [K in OpName<M>]: (key: string, ...args: OptionalArgs<ArgsOf<M, K>>) => Promise<ResultOf<M, K>>;
};

export function machineClient<M extends AnyMachine>(store: StateStore, machine: M): MachineClient<M> {
  const client: Record<string, (key: string, args?: unknown) => Promise<unknown>> = {};
  for (const op of Object.keys(machine.transitions)) {
    client[op] = (key, args) => store.apply(machine, key, op, args);
  }
  return Object.freeze(client) as MachineClient<M>;
}
