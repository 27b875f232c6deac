/**
 * In-memory StateStore, for fast unit tests of handler logic only: it holds state in one isolate, so it is
 * neither durable nor shared. It is allowed because it passes the same conformance suite as the real backends
 * (shared/state/test/conformance.ts). Nothing happens between the read and the write of a step (no await), so
 * steps are atomic within the isolate.
 */
import { checkKey, type StateStore } from './store.js';
import { runStep } from './document.js';

export interface MemoryStateStore extends StateStore {
  readonly backend: 'memory';
  /** Stored values by `machine:key`, as the other backends store them (tests read and corrupt them here). */
  readonly values: Map<string, string>;
}

export function memoryStateStore(clock: () => number = Date.now): MemoryStateStore {
  const values = new Map<string, string>();
  return {
    backend: 'memory',
    values,
    async apply(machine, key, op, args) {
      checkKey(key);
      const id = `${machine.name}:${key}`;
      const step = runStep(machine, op, values.get(id), args, clock());
      if (step.write.kind === 'put') values.set(id, step.write.stored);
      else if (step.write.kind === 'delete') values.delete(id);
      return step.result;
    },
  };
}
