/**
 * The Redis backend (STATE_BACKEND=redis): for deployments where Durable Objects are per process, such as several
 * workerd replicas on Kubernetes. Reached through the Upstash REST client (Upstash in production, the project's
 * Upstash-protocol bridge elsewhere).
 *
 * An operation is optimistic: read the stored value and the Redis clock (one script call), run the transition
 * here, then compare-and-set on the version that was read (one script call). When another writer got there first
 * the CAS fails, answering with the value that won; the transition runs again on it and the CAS is retried after
 * a jittered, growing pause. After `maxAttempts` or the deadline it gives up with StateUnavailableError
 * ('contended'). A transition that writes nothing returns after its read: the read is atomic, so that answer is
 * linearizable too.
 *
 * Round trips: 1 for an operation that writes nothing, 2 for one that writes, 1 more per lost race.
 * No operation is retried after an ambiguous failure (an answer that never came): it surfaces as
 * StateUnavailableError, so an update is never applied twice by this client.
 */
import { runStep } from './document.js';
import { StateFault, StateUnavailableError } from './errors.js';
import { STATE_SCRIPT, STATE_SCRIPT_SHA1 } from './redis-script.js';
import { checkKey, type StateStore } from './store.js';

/** What the store needs of a Redis client (`@upstash/redis` satisfies it). */
export interface ScriptClient {
  evalsha(sha1: string, keys: string[], args: string[]): Promise<unknown>;
  eval(script: string, keys: string[], args: string[]): Promise<unknown>;
}

export interface RedisStateOptions {
  /** Prepended to every key (REDIS_KEY_PREFIX). */
  prefix: string;
  /** Whole-operation deadline, retries included (ms). */
  timeoutMs?: number;
  /** Reads + CAS rounds before giving up on contention. */
  maxAttempts?: number;
  /** First backoff ceiling (ms); doubles per lost race up to `maxDelayMs`; the pause is uniform below it. */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/** Counters for metrics and the benchmark (per store object, i.e. per isolate). */
export interface RedisStateStats {
  operations: number;
  /** Script calls, i.e. HTTP round trips to Redis (a NOSCRIPT fallback counts twice). */
  roundTrips: number;
  conflicts: number;
  contended: number;
  /** attempts → operations that needed that many (lost races + 1). */
  attempts: Record<number, number>;
}

export interface RedisStateStore extends StateStore {
  readonly backend: 'redis';
  readonly stats: RedisStateStats;
  /** The Redis key of (machine, key). */
  keyOf(machine: string, key: string): string;
}

export const REDIS_STATE_DEFAULTS = { timeoutMs: 5000, maxAttempts: 60, baseDelayMs: 4, maxDelayMs: 200 } as const;

export function redisStateStore(redis: ScriptClient, options: RedisStateOptions): RedisStateStore {
  const { prefix } = options;
  const timeoutMs = options.timeoutMs ?? REDIS_STATE_DEFAULTS.timeoutMs;
  const maxAttempts = options.maxAttempts ?? REDIS_STATE_DEFAULTS.maxAttempts;
  const baseDelayMs = options.baseDelayMs ?? REDIS_STATE_DEFAULTS.baseDelayMs;
  const maxDelayMs = options.maxDelayMs ?? REDIS_STATE_DEFAULTS.maxDelayMs;
  const stats: RedisStateStats = { operations: 0, roundTrips: 0, conflicts: 0, contended: 0, attempts: {} };
  const keyOf = (machine: string, key: string) => `${prefix}state:${machine}:${key}`;

  async function script(keys: string[], args: string[], deadline: number): Promise<unknown> {
    const left = deadline - Date.now();
    if (left <= 0) throw new StateUnavailableError('timeout', `gave no answer within ${timeoutMs} ms`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StateUnavailableError('timeout', `gave no answer within ${timeoutMs} ms`)),
        left,
      );
    });
    const call = async () => {
      stats.roundTrips++;
      try {
        return await redis.evalsha(STATE_SCRIPT_SHA1, keys, args);
      } catch (err) {
        if (!String((err as Error)?.message).includes('NOSCRIPT')) throw err;
        stats.roundTrips++;
        return await redis.eval(STATE_SCRIPT, keys, args);
      }
    };
    try {
      return await Promise.race([call(), timeout]);
    } catch (err) {
      if (err instanceof StateUnavailableError) throw err;
      // Something that is not a string at the key: not ours, never trusted, never overwritten.
      if (String((err as Error)?.message).includes('WRONGTYPE')) {
        throw new StateFault('ERR_STATE_CORRUPT', 'a stored state document has the wrong Redis type', { cause: err });
      }
      throw new StateUnavailableError('unreachable', 'could not reach Redis', { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  function settled(attempt: number, result: unknown): unknown {
    stats.attempts[attempt] = (stats.attempts[attempt] ?? 0) + 1;
    return result;
  }

  return {
    backend: 'redis',
    stats,
    keyOf,
    async apply(machine, key, op, args) {
      checkKey(key);
      const keys = [keyOf(machine.name, key)];
      const deadline = Date.now() + timeoutMs;
      stats.operations++;
      // The first read; after that, a lost CAS answers with the value that beat it, so each retry is one trip.
      let [now, stored] = readReply(await script(keys, ['read'], deadline));
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        const step = runStep(machine, op, stored, args, now);
        const write = step.write;
        if (write.kind === 'none') return settled(attempt, step.result);
        const value = write.kind === 'put' ? write.stored : '';
        const expiry = write.kind === 'put' && write.expiresAt !== undefined ? String(write.expiresAt) : '';
        const lost = casReply(await script(keys, ['cas', step.readVersion, value, expiry], deadline));
        if (!lost) return settled(attempt, step.result);
        stats.conflicts++;
        [now, stored] = lost;
        // Spread the losers out. The value they retry on may go stale during the pause; then the next CAS fails
        // and brings a fresh one, at the cost a re-read would have had anyway.
        const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(attempt - 1, 16));
        const pause = Math.random() * ceiling;
        if (Date.now() + pause >= deadline) break;
        if (pause >= 1) await new Promise((resolve) => setTimeout(resolve, pause));
      }
      stats.contended++;
      throw new StateUnavailableError('contended', 'is too contended to settle the operation');
    },
  };
}

/** `[now, stored value]` from a read. */
function readReply(reply: unknown): [number, string | undefined] {
  if (Array.isArray(reply) && typeof reply[0] === 'number' && Number.isFinite(reply[0])) {
    const stored = reply[1];
    if (stored === null || stored === undefined) return [reply[0], undefined];
    if (typeof stored === 'string') return [reply[0], stored];
  }
  throw unexpected(reply);
}

/** undefined when written; the current `[now, value]` when another writer won. */
function casReply(reply: unknown): [number, string | undefined] | undefined {
  if (Array.isArray(reply) && reply.length === 1 && reply[0] === 1) return undefined;
  if (Array.isArray(reply) && reply[0] === 0) return readReply(reply.slice(1));
  throw unexpected(reply);
}

// A bridge or proxy answering something else is not trusted to have done anything: fail closed.
function unexpected(reply: unknown): StateUnavailableError {
  return new StateUnavailableError('unreachable', 'answered with an unexpected reply', {
    cause: new StateFault('ERR_STATE_CORRUPT', `unexpected Redis script reply ${typeof reply}`),
  });
}
