/**
 * The Redis backend inside workerd, against the machine's real Redis through the project's Upstash-protocol
 * bridge (started by global-setup.ts with a fresh key prefix). The store uses a token with the keyed-state grant
 * (its script on state:* keys, nothing else), as a Worker hosting state has it; raw reads and plants use the tests'
 * own token.
 */
import { inject } from 'vitest';
import { describe, expect, it } from 'vitest';
import { createRedisClient } from '../../redis.js';
import { StateFault, StateUnavailableError } from '../errors.js';
import { redisStateStore } from '../redis.js';
import { STATE_SCRIPT, STATE_SCRIPT_SHA1 } from '../redis-script.js';
import { machineClient } from '../store.js';
import { describeStateConformance } from './conformance.js';
import { counter, once } from './machines.js';

const prefix = inject('redisPrefix');
const redisAs = (url: string, token: string) =>
  createRedisClient({ UPSTASH_REDIS_REST_URL: url, UPSTASH_REDIS_REST_TOKEN: token, REDIS_KEY_PREFIX: prefix }).redis;
const stateRedis = redisAs(inject('redisRestUrl'), inject('redisStateToken'));
const redis = redisAs(inject('redisRestUrl'), inject('redisTestToken'));
const store = redisStateStore(stateRedis, { prefix });
// The conformance suite checks atomicity (100 writers on one key: exactly 100, no value seen twice), not the retry
// budget: on a loaded 2-core machine 100 optimistic writers on one key can outlast the production budget, and
// then some fail with a clean 503 (tested below with a tight budget; measured by `npm run bench -- state`).
const patient = redisStateStore(stateRedis, { prefix, timeoutMs: 25_000, maxAttempts: 1000 });

describeStateConformance('redis', () => ({
  store: patient,
  readRaw: async (machine, key) => (await redis.get<string>(store.keyOf(machine, key))) ?? undefined,
  writeRaw: async (machine, key, raw) => {
    await redis.set(store.keyOf(machine, key), raw);
  },
}));

async function unavailable(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'succeeded';
  } catch (err) {
    return err instanceof StateUnavailableError ? `${err.status} ${err.reason}` : `other: ${String(err)}`;
  }
}

describe('Redis backend', () => {
  it('names its script by the SHA-1 of the exported text, as Redis itself computes it', async () => {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-1', new TextEncoder().encode(STATE_SCRIPT)));
    expect([...digest].map((b) => b.toString(16).padStart(2, '0')).join('')).toBe(STATE_SCRIPT_SHA1);
    // Once Redis has run the text (EVAL), it knows the script under that SHA-1 (EVALSHA).
    const key = store.keyOf('counter', 'sha');
    await stateRedis.eval(STATE_SCRIPT, [key], ['read']);
    expect(await stateRedis.evalsha(STATE_SCRIPT_SHA1, [key], ['read'])).toEqual([expect.any(Number), null]);
  });

  it('the keyed-state token runs the script on state keys only, and nothing else', async () => {
    const refusal = (p: Promise<unknown>) =>
      p.then(
        () => 'ran',
        (err: Error) => err.message,
      );
    expect(await refusal(stateRedis.eval(STATE_SCRIPT, [`${prefix}client:x`], ['read']))).toMatch(
      /NOPERM .* may not access the key/,
    );
    expect(await refusal(stateRedis.get(store.keyOf('counter', 'sha')))).toMatch(/NOPERM .* may not run the 'get'/);
    expect(await refusal(stateRedis.eval("return redis.call('TIME')", [], []))).toMatch(
      /NOPERM .* may not run the script .* \(not registered\)/,
    );
  });

  it('keeps every key under the configured prefix and hands expiry to Redis (PXAT)', async () => {
    const c = machineClient(store, counter);
    await c.setExpiring('prefixed', { n: 1, ttlMs: 60_000 });
    const redisKey = store.keyOf('counter', 'prefixed');
    expect(redisKey).toBe(`${prefix}state:counter:prefixed`);
    expect(redisKey.startsWith(inject('redisPrefix'))).toBe(true);
    const pttl = await redis.pttl(redisKey);
    expect(pttl).toBeGreaterThan(55_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
    await c.add('forever', 1);
    expect(await redis.pttl(store.keyOf('counter', 'forever'))).toBe(-1);
  });

  it('costs one round trip for an operation that writes nothing and two for one that writes', async () => {
    const c = machineClient(store, counter);
    const trips = () => store.stats.roundTrips;
    await c.add('trips', 1); // loads the script if this Redis did not have it
    let t0 = trips();
    await c.get('trips');
    expect(trips() - t0).toBe(1);
    t0 = trips();
    await c.add('trips', 1);
    expect(trips() - t0).toBe(2);
  });

  it('Redis unreachable: a 503-able StateUnavailableError, never a silent success', async () => {
    const down = redisStateStore(redisAs('http://127.0.0.1:9', 'x'), { prefix });
    expect(await unavailable(machineClient(down, counter).add('down', 1))).toBe('503 unreachable');
    expect(await unavailable(machineClient(down, counter).get('down'))).toBe('503 unreachable');
    expect(await machineClient(store, counter).get('down')).toBe(0);
  });

  it('a bridge refusing the token is unavailable too', async () => {
    const refused = redisStateStore(redisAs(inject('redisRestUrl'), 'wrong-token'), { prefix });
    expect(await unavailable(machineClient(refused, once).consume('refused', 'x'))).toBe('503 unreachable');
  });

  it('a store that never answers is a timeout within the deadline, not a hang', async () => {
    const hung = redisStateStore(redisAs(inject('hangingUrl'), 'x'), { prefix, timeoutMs: 300 });
    const started = Date.now();
    expect(await unavailable(machineClient(hung, counter).add('hung', 1))).toBe('503 timeout');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('contention past the retry budget fails loudly, and only the acknowledged updates happened', async () => {
    const tight = redisStateStore(stateRedis, { prefix, maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 });
    const c = machineClient(tight, counter);
    const settled = await Promise.allSettled(Array.from({ length: 40 }, () => c.add('budget', 1)));
    const ok = settled.filter((s) => s.status === 'fulfilled');
    const failed = settled.filter((s) => s.status === 'rejected');
    expect(failed.length).toBeGreaterThan(0);
    for (const f of failed) {
      const err = (f as PromiseRejectedResult).reason;
      expect(err).toBeInstanceOf(StateUnavailableError);
      expect(err.reason).toBe('contended');
      expect(err.status).toBe(503);
    }
    expect(await c.get('budget')).toBe(ok.length);
    expect(new Set(ok.map((s) => (s as PromiseFulfilledResult<number>).value)).size).toBe(ok.length);
    expect(tight.stats.contended).toBe(failed.length);
  });

  it('a key holding another Redis type is corrupt, not overwritten', async () => {
    const redisKey = store.keyOf('counter', 'wrongtype');
    await redis.hset(redisKey, { n: '1' });
    const err = await machineClient(store, counter)
      .add('wrongtype', 1)
      .catch((e) => e);
    expect(err).toBeInstanceOf(StateFault);
    expect((err as StateFault).code).toBe('ERR_STATE_CORRUPT');
    expect(await redis.hget(redisKey, 'n')).toBe('1');
  });
});
