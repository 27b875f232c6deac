/**
 * The refresh-family machine on every keyed-state backend, each first put through the store conformance suite with
 * the auth machines registered: memory, Durable Objects (this folder's test Worker) and Redis through the real
 * Upstash-protocol bridge (shared/state/test/global-setup.ts starts it with a fresh key prefix).
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, inject, it } from 'vitest';
import { createRedisClient } from '../../../../shared/redis.js';
import {
  DOCUMENT_KEY,
  durableObjectStateStore,
  type StateNamespace,
  stateObjectName,
} from '../../../../shared/state/durable-object.js';
import { StateFault } from '../../../../shared/state/errors.js';
import { memoryStateStore } from '../../../../shared/state/memory.js';
import { redisStateStore } from '../../../../shared/state/redis.js';
import type { StateStore } from '../../../../shared/state/store.js';
import { type ConformanceTarget, describeStateConformance } from '../../../../shared/state/test/conformance.js';
import { RefreshFamilies } from '../../src/refresh/refresh-families.js';
import { describeRefreshFamilies, FAMILY } from './refresh-family-suite.js';

const memory = memoryStateStore();
const ns = (env as unknown as { STATE: StateNamespace }).STATE;
const durable = durableObjectStateStore(ns);
const stub = (machine: string, key: string) => ns.get(ns.idFromName(stateObjectName(machine, key)));
const prefix = inject('redisPrefix');
const redisAs = (token: string) =>
  createRedisClient({
    UPSTASH_REDIS_REST_URL: inject('redisRestUrl'),
    UPSTASH_REDIS_REST_TOKEN: token,
    REDIS_KEY_PREFIX: prefix,
  }).redis;
// The production retry budget (STATE_TIMEOUT_MS default): what a Worker on Kubernetes has.
const redisStore = redisStateStore(redisAs(inject('redisStateToken')), { prefix });
const raw = redisAs(inject('redisTestToken'));

const targets: [string, ConformanceTarget][] = [
  [
    'memory',
    {
      store: memory,
      readRaw: async (m, k) => memory.values.get(`${m}:${k}`),
      writeRaw: async (m, k, v) => {
        memory.values.set(`${m}:${k}`, v);
      },
    },
  ],
  [
    'durable-object',
    {
      store: durable,
      readRaw: (m, k) => stub(m, k).inspect() as Promise<string | undefined>,
      writeRaw: (m, k, v) =>
        runInDurableObject(stub(m, k), (_i, state) => {
          state.storage.kv.put(DOCUMENT_KEY, v);
        }),
    },
  ],
  [
    'redis',
    {
      // The conformance suite's 100 writers on one key need more than the production budget on a loaded machine
      // (shared/state/test/redis.test.ts); the refresh suite below uses the production one.
      store: redisStateStore(redisAs(inject('redisStateToken')), { prefix, timeoutMs: 25_000, maxAttempts: 1000 }),
      readRaw: async (m, k) => (await raw.get<string>(redisStore.keyOf(m, k))) ?? undefined,
      writeRaw: async (m, k, v) => {
        await raw.set(redisStore.keyOf(m, k), v);
      },
    },
  ],
];

const stores: Record<string, StateStore> = { memory, 'durable-object': durable, redis: redisStore };

for (const [name, target] of targets) {
  describeStateConformance(`${name}, hosting the auth machines`, () => target);
  describeRefreshFamilies(name, stores[name] as StateStore);

  describe(`refresh families: ${name}: stored data is not trusted`, () => {
    it('a malformed family document fails every operation and is left for an operator', async () => {
      const families = new RefreshFamilies(target.store, { retryWindowMs: 30_000 });
      const { refreshToken, familyKey } = await families.start(FAMILY);
      const tampered = 's1|AAAAAAAAAAAAAAAA||{"clientId":"app","current":1}';
      await target.writeRaw('refresh-family', familyKey, tampered);
      for (const op of [
        () => families.refresh(refreshToken, { clientId: 'app' }),
        () => families.revoke(refreshToken, 'x', 'app'),
      ]) {
        const err = await op().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StateFault);
        expect((err as StateFault).code).toBe('ERR_STATE_CORRUPT');
      }
      expect(await target.readRaw('refresh-family', familyKey)).toBe(tampered);
    });
  });
}
