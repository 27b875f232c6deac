/**
 * The Durable Object backend: one object per (machine, key), named `machine:key` (`idFromName`), SQLite-backed.
 *
 * Atomicity comes from the object itself: it runs one call at a time, and `apply` reads, runs the transition and
 * writes with the synchronous storage API and no await in between, so no other call can interleave. The write is
 * confirmed before the answer leaves the object (output gate), so an acknowledged operation is durable.
 * Expiry: a document past its `expiresAt` reads as absent at once; an alarm deletes it afterwards.
 *
 * A Worker exports the object class built from the machines it uses:
 *
 *     export class StateObject extends createStateObject([authorizationCodes, sessions]) {}
 *
 * with a binding in wrangler.toml (`class_name = "StateObject"`, migration `new_sqlite_classes = ["StateObject"]`).
 */
import { DurableObject } from 'cloudflare:workers';
import { runStep, storedExpiry } from './document.js';
import { StateFault, type StateFaultCode, StateUnavailableError } from './errors.js';
import type { AnyMachine } from './machine.js';
import { checkKey, type StateStore } from './store.js';

/** The object's only storage key (synchronous KV API; an object whose document is deleted stores nothing). */
export const DOCUMENT_KEY = 'doc';

export type StateReply = { ok: true; result: unknown } | { ok: false; fault: StateFaultCode; message: string };

export class StateObjectBase extends DurableObject<unknown> {
  /** When the alarm is known to be set for (memory only: after a restart the next write sets it again). */
  private alarmAt: number | undefined;

  constructor(
    ctx: DurableObjectState,
    env: unknown,
    private readonly machines: ReadonlyMap<string, AnyMachine>,
  ) {
    super(ctx, env);
  }

  /** Applies `op` of machine `name` to this object's document. Synchronous from read to write. */
  apply(name: string, op: string, args: unknown): StateReply {
    const machine = this.machines.get(name);
    if (!machine) {
      return { ok: false, fault: 'ERR_STATE_UNKNOWN_OPERATION', message: `no state machine ${name} in this Worker` };
    }
    const kv = this.ctx.storage.kv;
    let step: ReturnType<typeof runStep>;
    try {
      step = runStep(machine, op, kv.get<string>(DOCUMENT_KEY), args, Date.now());
    } catch (err) {
      if (err instanceof StateFault) return { ok: false, fault: err.code, message: err.message };
      throw err;
    }
    const write = step.write;
    if (write.kind === 'put') {
      kv.put(DOCUMENT_KEY, write.stored);
      if (write.expiresAt !== undefined) this.expireAt(write.expiresAt);
    } else if (write.kind === 'delete') {
      kv.delete(DOCUMENT_KEY);
    }
    return { ok: true, result: step.result };
  }

  /** The stored value as it is (tests and operators). */
  inspect(): string | undefined {
    return this.ctx.storage.kv.get<string>(DOCUMENT_KEY);
  }

  override async alarm(): Promise<void> {
    this.alarmAt = undefined;
    const stored = this.ctx.storage.kv.get<string>(DOCUMENT_KEY);
    const expiresAt = storedExpiry(stored);
    if (expiresAt === undefined) return; // gone, no expiry any more, or corrupt (kept for an operator to see)
    if (expiresAt <= Date.now()) this.ctx.storage.kv.delete(DOCUMENT_KEY);
    else this.expireAt(expiresAt);
  }

  /**
   * Makes sure an alarm fires no later than `at`. A later expiry (a session touched again) leaves an earlier
   * alarm in place, which then re-arms itself: one alarm write per document lifetime instead of one per touch.
   */
  private expireAt(at: number): void {
    if (this.alarmAt !== undefined && this.alarmAt <= at) return;
    this.alarmAt = at;
    this.ctx.storage.setAlarm(at).catch(() => {
      this.alarmAt = undefined;
    });
  }
}

/** Builds the Durable Object class that serves `machines` (names must be unique). */
export function createStateObject(machines: readonly AnyMachine[]): StateObjectClass {
  const registry = new Map<string, AnyMachine>();
  for (const m of machines) {
    if (registry.has(m.name)) throw new TypeError(`two state machines are named ${m.name}`);
    registry.set(m.name, m);
  }
  return class StateObject extends StateObjectBase {
    constructor(ctx: DurableObjectState, env: unknown) {
      super(ctx, env, registry);
    }
  };
}

export type StateObjectClass = new (ctx: DurableObjectState, env: unknown) => StateObjectBase;

export type StateNamespace = DurableObjectNamespace<StateObjectBase>;

/** The object name of (machine, key). Machine names contain no colon, so the first one separates them. */
export function stateObjectName(machine: string, key: string): string {
  return `${machine}:${key}`;
}

/** StateStore over a namespace of objects built by `createStateObject`. */
export function durableObjectStateStore(ns: StateNamespace, opts: { timeoutMs?: number } = {}): StateStore {
  const timeoutMs = opts.timeoutMs ?? 5000;
  return {
    backend: 'durable-object',
    async apply(machine, key, op, args) {
      checkKey(key);
      // A stub belongs to the request that made it: one per call.
      const stub = ns.get(ns.idFromName(stateObjectName(machine.name, key)));
      let timer: ReturnType<typeof setTimeout> | undefined;
      let reply: StateReply;
      try {
        reply = (await Promise.race([
          stub.apply(machine.name, op, args),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new StateUnavailableError('timeout', `gave no answer within ${timeoutMs} ms`)),
              timeoutMs,
            );
          }),
        ])) as StateReply;
      } catch (err) {
        if (err instanceof StateUnavailableError) throw err;
        // Overloaded, reset, unreachable: the runtime's errors. The operation may or may not have run.
        throw new StateUnavailableError('unreachable', 'could not reach a Durable Object', { cause: err });
      } finally {
        clearTimeout(timer);
      }
      if (!reply.ok) throw new StateFault(reply.fault, reply.message);
      return reply.result;
    },
  };
}
