/**
 * Test-only Worker (never deployed): the keyed-state store over HTTP, with the test machines. It is the
 * `main` of the in-workerd suites (shared/state/vitest.config.ts), and it runs as two separate workerd
 * processes in the 2-replica test (test/node/state-replicas.test.ts) and in the benchmark
 * (bench/scenarios/state.mjs).
 *
 * POST /apply  {machine, op, key, args, backend?, freshKey?, spreadKeys?} → {result} | {error, reason}, 503 / 500
 * POST /burst  {machine, op, key, args, n, backend?}   → n concurrent operations in this request:
 *                                                         {results, errors, ms, stats}
 * POST /bench  {backend, n, concurrency, write, sameKey?} → per-operation latency inside the isolate
 * GET  /stats?backend=redis                            → the Redis store's counters in this isolate
 *
 * `backend` overrides STATE_BACKEND per request (memory, durable-object, redis), so one pair of processes can
 * show both what the Redis backend guarantees and what per-process Durable Objects do not.
 */
import { defineConfig, str } from '../../config.js';
import { commonVariables } from '../../env.js';
import { createRedisClient } from '../../redis.js';
import { createStateObject, type StateNamespace } from '../durable-object.js';
import { StateFault, StateUnavailableError } from '../errors.js';
import { memoryStateStore } from '../memory.js';
import { type RedisStateOptions, type RedisStateStore, redisStateStore } from '../redis.js';
import { createStateStore } from '../select.js';
import type { StateBackend, StateStore } from '../store.js';
import { TEST_MACHINES, TEST_MACHINES_BY_NAME } from './machines.js';

export class StateObject extends createStateObject(TEST_MACHINES) {}

interface Env {
  STATE: StateNamespace;
  STATE_BACKEND?: string;
  STATE_TIMEOUT_MS?: string;
  UPSTASH_REDIS_REST_URL?: string;
  UPSTASH_REDIS_REST_TOKEN?: string;
  REDIS_KEY_PREFIX?: string;
}

// The platform's own declarations of the state variables; the Redis ones get defaults so the Worker also runs
// without Redis (the memory and Durable Object backends).
const readConfig = defineConfig({
  STATE_BACKEND: commonVariables.STATE_BACKEND,
  STATE_TIMEOUT_MS: commonVariables.STATE_TIMEOUT_MS,
  REDIS_KEY_PREFIX: commonVariables.REDIS_KEY_PREFIX,
  UPSTASH_REDIS_REST_URL: str({ default: 'http://127.0.0.1:9' }),
  UPSTASH_REDIS_REST_TOKEN: str({ default: 'unset' }),
});
const redisClients = new WeakMap<object, ReturnType<typeof createRedisClient>>();

function redisOf(env: Env) {
  let client = redisClients.get(env);
  if (!client) {
    client = createRedisClient(readConfig(env));
    redisClients.set(env, client);
  }
  return client;
}

const memory = memoryStateStore();
const stores = new WeakMap<object, Map<string, StateStore>>();

function storeFor(env: Env, backend: string | undefined): StateStore {
  const config = readConfig(env);
  const chosen = (backend ?? config.STATE_BACKEND) as StateBackend;
  if (chosen === 'memory') return memory;
  let byBackend = stores.get(env);
  if (!byBackend) {
    byBackend = new Map();
    stores.set(env, byBackend);
  }
  let store = byBackend.get(chosen);
  if (!store) {
    if (chosen !== 'redis' && chosen !== 'durable-object') throw new TypeError(`unknown backend ${chosen}`);
    store = createStateStore({ ...config, STATE_BACKEND: chosen }, redisOf(env), env.STATE);
    byBackend.set(chosen, store);
  }
  return store;
}

interface ApplyBody {
  machine: string;
  op: string;
  key: string;
  /** Use a new random key instead of `key` (load tests of independent documents with one fixed request). */
  freshKey?: boolean;
  /** Use one of this many keys at random instead of `key` (load tests of documents that mostly exist). */
  spreadKeys?: number;
  args?: unknown;
  backend?: string;
}

function machineOf(name: string) {
  const m = TEST_MACHINES_BY_NAME.get(name);
  if (!m) throw new TypeError(`unknown machine ${name}`);
  return m;
}

function describeError(err: unknown): { status: number; body: Record<string, unknown> } {
  if (err instanceof StateUnavailableError) return { status: 503, body: { error: err.code, reason: err.reason } };
  if (err instanceof StateFault) return { status: 500, body: { error: err.code, message: err.message } };
  return { status: 500, body: { error: 'ERR_INTERNAL', message: String(err) } };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

interface BenchBody {
  backend: string;
  n: number;
  concurrency: number;
  write: boolean;
  sameKey?: boolean;
  /** Redis retry settings to try instead of the defaults (a fresh store, so its counters start at zero). */
  retry?: Omit<RedisStateOptions, 'prefix'>;
}

async function bench(env: Env, body: BenchBody) {
  const store =
    body.backend === 'redis' && body.retry
      ? redisStateStore(redisOf(env).redis, { ...body.retry, prefix: readConfig(env).REDIS_KEY_PREFIX })
      : storeFor(env, body.backend);
  const machine = machineOf('counter');
  const run = crypto.randomUUID().slice(0, 8);
  const redis = store.backend === 'redis' ? (store as RedisStateStore) : undefined;
  const trips0 = redis?.stats.roundTrips ?? 0;
  const conflicts0 = redis?.stats.conflicts ?? 0;
  if (!body.write) {
    // Reads of existing documents: create them first, outside the measurement.
    await Promise.all(
      Array.from({ length: body.concurrency }, (_, w) => store.apply(machine, `b-${run}-${w}`, 'add', 1)),
    );
  }
  const attempts0 = { ...(redis?.stats.attempts ?? {}) };
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: body.concurrency }, async (_, w) => {
      const key = body.sameKey ? `b-${run}-same` : `b-${run}-${w}`;
      while (next < body.n) {
        next++;
        const t0 = performance.now();
        try {
          await store.apply(machine, key, body.write ? 'add' : 'get', 1);
          latencies.push(performance.now() - t0);
        } catch {
          failures++;
        }
      }
    }),
  );
  const ms = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return {
    backend: store.backend,
    n: body.n,
    concurrency: body.concurrency,
    write: body.write,
    sameKey: !!body.sameKey,
    ms,
    opsPerSec: (body.n / ms) * 1000,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    failures,
    roundTripsPerOp: redis ? (redis.stats.roundTrips - trips0) / body.n : undefined,
    conflictsPerOp: redis ? (redis.stats.conflicts - conflicts0) / body.n : undefined,
    maxAttempts: redis
      ? Math.max(
          0,
          ...Object.keys(redis.stats.attempts)
            .filter((a) => redis.stats.attempts[Number(a)] !== attempts0[Number(a)])
            .map(Number),
        )
      : undefined,
  };
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    try {
      if (url.pathname === '/health') return new Response('ok');
      if (url.pathname === '/stats') {
        const store = storeFor(env, url.searchParams.get('backend') ?? undefined);
        return Response.json({ backend: store.backend, stats: (store as Partial<RedisStateStore>).stats ?? null });
      }
      if (request.method !== 'POST') return new Response('not found', { status: 404 });
      const body = (await request.json()) as ApplyBody & { n?: number };
      if (url.pathname === '/apply') {
        try {
          const key = body.freshKey
            ? crypto.randomUUID()
            : body.spreadKeys
              ? `spread-${Math.floor(Math.random() * body.spreadKeys)}`
              : body.key;
          const result = await storeFor(env, body.backend).apply(machineOf(body.machine), key, body.op, body.args);
          return Response.json({ result: result ?? null });
        } catch (err) {
          const { status, body: problem } = describeError(err);
          return Response.json(problem, { status });
        }
      }
      if (url.pathname === '/burst') {
        const store = storeFor(env, body.backend);
        const machine = machineOf(body.machine);
        const started = performance.now();
        const settled = await Promise.allSettled(
          Array.from({ length: Number(body.n) }, () => store.apply(machine, body.key, body.op, body.args)),
        );
        const ms = performance.now() - started;
        const errors: Record<string, number> = {};
        const results: unknown[] = [];
        for (const s of settled) {
          if (s.status === 'fulfilled') results.push(s.value ?? null);
          else {
            const e = describeError(s.reason).body;
            const label = String(e.reason ?? e.error);
            errors[label] = (errors[label] ?? 0) + 1;
          }
        }
        return Response.json({ results, errors, ms, stats: (store as Partial<RedisStateStore>).stats ?? null });
      }
      if (url.pathname === '/bench') return Response.json(await bench(env, body as unknown as BenchBody));
      return new Response('not found', { status: 404 });
    } catch (err) {
      return Response.json({ error: 'ERR_TEST_WORKER', message: String(err) }, { status: 400 });
    }
  },
};
