/**
 * The bridge's Redis connections (ioredis underneath): raw replies in order, error replies as values, and the
 * failure behaviour the REST bridge relies on, against the real Redis and against a scripted fake for what a real
 * server does not do (stay silent, send garbage or an extra reply, refuse AUTH).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  isErrorReply,
  RedisConnectionLostError,
  RedisUnavailableError,
  RedisUpstream,
  type RedisUpstreamOptions,
} from '../src/redis-upstream.js';
import { type FakeRedis, fakeRedis, REDIS_URL, waitFor } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function upstream(opts: RedisUpstreamOptions): Promise<RedisUpstream> {
  const u = new RedisUpstream({ size: 1, ...opts });
  cleanups.push(() => u.close());
  u.start();
  return u;
}

async function fake(reply: Parameters<typeof fakeRedis>[0], port = 0): Promise<FakeRedis> {
  const f = await fakeRedis(reply, port);
  cleanups.push(() => f.stop());
  return f;
}

const text = (v: unknown) => (Buffer.isBuffer(v) ? v.toString() : v);

describe('Redis upstream', () => {
  it('pipelines against the real Redis: replies in order, raw, errors as values', async () => {
    const u = await upstream({ url: REDIS_URL, size: 2 });
    await u.waitHealthy(5000);
    const replies = await Promise.all(Array.from({ length: 500 }, (_, i) => u.send(['ECHO', `m${i}`])));
    expect(replies.map(text)).toEqual(Array.from({ length: 500 }, (_, i) => `m${i}`));
    const err = await u.send(['NOSUCHCMD']);
    expect(isErrorReply(err)).toBe(true);
    expect((err as Error).message).toMatch(/^ERR unknown command/);
    expect(text(await u.send(['PING']))).toBe('PONG');
    // Integers keep every digit (decimal text), HGETALL stays a flat array (no client-side reshaping).
    const key = `dp-upstream-${process.pid}-${Date.now()}`;
    const [set, incr, hset, hgetall, del] = await u.pipeline([
      ['SET', key, '9007199254740993'],
      ['INCR', key],
      ['HSET', `${key}:h`, 'a', '1'],
      ['HGETALL', `${key}:h`],
      ['DEL', key, `${key}:h`],
    ]);
    expect(text(set)).toBe('OK');
    expect(incr).toBe('9007199254740994');
    expect(hset).toBe('1');
    expect((hgetall as Buffer[]).map(text)).toEqual(['a', '1']);
    expect(del).toBe('2');
  });

  it('fails commands in flight when the server goes away, fails fast while down, then recovers', async () => {
    const silent = await fake(() => null);
    const u = await upstream({
      url: `redis://127.0.0.1:${silent.port}`,
      maxReconnectDelayMs: 100,
      commandTimeoutMs: 0,
    });
    await u.waitHealthy(3000);
    const pending = u.send(['GET', 'x']);
    await waitFor(() => silent.seen.includes('GET x'));
    await silent.stop();
    await expect(pending).rejects.toBeInstanceOf(RedisConnectionLostError);
    await expect(pending).rejects.toThrow(/may or may not have run/);
    expect(u.healthy).toBe(false);
    await expect(u.send(['PING'])).rejects.toBeInstanceOf(RedisUnavailableError);

    // Same port comes back as a server that answers PING.
    await fake((args) => (args[0] === 'PING' ? '+PONG\r\n' : null), silent.port);
    await u.waitHealthy(5000);
    expect(text(await u.send(['PING']))).toBe('PONG');
  });

  it('replaces the connection when a reply arrives with nothing outstanding (stream out of step)', async () => {
    const twice = await fake((args) => (args[0] === 'PING' ? '+OK\r\n+EXTRA\r\n' : null));
    const logs: Record<string, unknown>[] = [];
    const u = await upstream({ url: `redis://127.0.0.1:${twice.port}`, log: (e) => logs.push(e) });
    await u.waitHealthy(3000);
    expect(text(await u.send(['PING']))).toBe('OK');
    await waitFor(() => twice.connections() === 2, 5000, 'a new connection');
    expect(logs.some((e) => e.msg === 'redis reply out of step, replacing connection')).toBe(true);
  });

  it('drops the connection on bytes that are not RESP, failing what was in flight', async () => {
    const garbage = await fake((args) => (args[0] === 'GET' ? '?what\r\n' : null));
    const u = await upstream({ url: `redis://127.0.0.1:${garbage.port}`, maxReconnectDelayMs: 100 });
    await u.waitHealthy(3000);
    await expect(u.send(['GET', 'x'])).rejects.toBeInstanceOf(RedisConnectionLostError);
    await waitFor(() => garbage.connections() === 2, 5000, 'a new connection');
  });

  it('fails a command whose reply does not come in time, and replaces the stuck connection', async () => {
    const silent = await fake(() => null);
    const u = await upstream({ url: `redis://127.0.0.1:${silent.port}`, commandTimeoutMs: 200 });
    await u.waitHealthy(3000);
    await expect(u.send(['GET', 'x'])).rejects.toThrow(/no reply from Redis within 200 ms/);
    await waitFor(() => silent.connections() === 2, 5000, 'a new connection');
  });

  it('bounds the commands in flight: beyond the limit they fail at once instead of queueing', async () => {
    const silent = await fake(() => null);
    const u = await upstream({ url: `redis://127.0.0.1:${silent.port}`, maxInFlight: 3, commandTimeoutMs: 0 });
    await u.waitHealthy(3000);
    const stuck = [u.send(['GET', 'a']), u.send(['GET', 'b']), u.send(['GET', 'c'])];
    for (const p of stuck) p.catch(() => {});
    await expect(u.send(['GET', 'd'])).rejects.toThrow(/saturated/);
    await expect(u.pipeline([['GET', 'e']])).rejects.toBeInstanceOf(RedisUnavailableError);
  });

  it('sends AUTH and SELECT from the URL before any command, and reports a refused AUTH', async () => {
    const server = await fake((args) => {
      if (args[0] === 'AUTH') return args[1] === 'good' ? '+OK\r\n' : '-WRONGPASS invalid password\r\n';
      return args[0] === 'INFO' ? null : '+OK\r\n';
    });
    const good = await upstream({ url: `redis://:good@127.0.0.1:${server.port}/3` });
    await good.waitHealthy(3000);
    await good.send(['PING']);
    const order = server.seen.filter((c) => /^(AUTH|SELECT|PING)/.test(c));
    expect(order).toEqual(['AUTH good', 'SELECT 3', 'PING']);

    const bad = await upstream({ url: `redis://:bad@127.0.0.1:${server.port}` });
    await expect(bad.waitHealthy(1500)).rejects.toThrow(/WRONGPASS/);
  });
});
