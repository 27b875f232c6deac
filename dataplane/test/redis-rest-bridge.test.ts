import { createHash } from 'node:crypto';
import { Redis } from '@upstash/redis';
import { errors as upstashErrors } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisGrant } from '../src/redis-grants.js';
import { type RedisRestBridge, startRedisRestBridge } from '../src/redis-rest-bridge.js';
import { REDIS_URL, deleteKeys, randomId, redisCommand } from './helpers.js';

const TOKEN = `test-token-${randomId()}`;
const PREFIX = `dp-test:${randomId()}:`;
const key = (name: string) => `${PREFIX}${name}`;
const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

// Scripts these protocol tests run; only registered scripts may run (see redis-access.test.ts for the refusals).
const INCR_SCRIPT = `-- ${PREFIX}\nreturn tonumber(ARGV[1]) + redis.call('INCR', KEYS[1])`;
const NESTED_SCRIPT = 'return {1, "two", {3}}';
const FALSE_SCRIPT = 'return {1, {"x", false}}';

/** What the protocol tests need: a broad set of data commands on every key under this run's prefix. */
const PROTOCOL_GRANT: RedisGrant = {
  commands: [
    'PING',
    'GET',
    'SET',
    'PTTL',
    'EXISTS',
    'INCR',
    'INCRBY',
    'APPEND',
    'HSET',
    'HGET',
    'HGETALL',
    'RPUSH',
    'LRANGE',
    'LLEN',
    'LPOP',
    'BLPOP',
    'XADD',
    'XGROUP',
    'XREAD',
    'XREADGROUP',
    'XACK',
    'EVAL',
    'EVALSHA',
  ],
  keys: ['*'],
  scripts: [INCR_SCRIPT, NESTED_SCRIPT, FALSE_SCRIPT].map((body) => ({
    sha1: sha1(body),
    keys: body === INCR_SCRIPT ? 1 : 0,
    calls: body === INCR_SCRIPT ? ['INCR'] : [],
    source: 'this test',
  })),
};

describe('Redis REST bridge (Upstash protocol)', () => {
  let bridge: RedisRestBridge;
  let redis: Redis;

  /** Raw request with the client's default headers; returns status and parsed body. */
  const call = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${bridge.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, text, json: JSON.parse(text) as unknown };
  };

  beforeAll(async () => {
    bridge = await startRedisRestBridge({
      redisUrl: REDIS_URL,
      clients: [{ name: 'protocol-test', token: TOKEN, grant: PROTOCOL_GRANT }],
      keyPrefix: PREFIX,
      maxBodyBytes: 64 * 1024,
      poolSize: 2,
    });
    await bridge.waitUntilReady();
    redis = new Redis({ url: bridge.url, token: TOKEN });
  });

  afterAll(async () => {
    await deleteKeys(REDIS_URL, PREFIX);
    await bridge?.close();
  });

  it('GET /health needs no token', async () => {
    const res = await fetch(`${bridge.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('SET with lowercase NX/PX options, GET, expiry', async () => {
    const k = key('lock');
    // 1 s, not less: on a loaded machine the TTL check below can come late.
    expect(await redis.set(k, 'owner-1', { nx: true, px: 1000 })).toBe('OK');
    expect(await redis.set(k, 'owner-2', { nx: true, px: 1000 })).toBeNull();
    expect(await redis.get(k)).toBe('owner-1');
    const pttl = await redis.pttl(k);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(1000);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await redis.get(k)).toBeNull();

    // Non-ASCII text and JSON values round-trip through base64.
    await redis.set(key('text'), 'héllo ✓ 日本');
    expect(await redis.get(key('text'))).toBe('héllo ✓ 日本');
    await redis.set(key('obj'), { a: 1, b: ['x'] });
    expect(await redis.get(key('obj'))).toEqual({ a: 1, b: ['x'] });
  });

  it('HSET/HGETALL, INCR', async () => {
    expect(await redis.hset(key('h'), { name: 'ada', role: 'admin' })).toBe(2);
    expect(await redis.hgetall(key('h'))).toEqual({ name: 'ada', role: 'admin' });
    expect(await redis.incr(key('n'))).toBe(1);
    expect(await redis.incr(key('n'))).toBe(2);
    expect(await redis.incrby(key('n'), 40)).toBe(42);
    // 200 concurrent increments ride the client's auto-pipelining.
    await Promise.all(Array.from({ length: 200 }, () => redis.incr(key('c'))));
    expect(await redis.get(key('c'))).toBe(200);
  });

  it('streams: XADD, XGROUP, XREADGROUP, XACK', async () => {
    const s = key('stream');
    const id = await redis.xadd(s, '*', { event: 'login', user: 'u1' });
    expect(id).toMatch(/^\d+-\d+$/);
    expect(await redis.xgroup(s, { type: 'CREATE', group: 'g1', id: '0' })).toBe('OK');
    const read = (await redis.xreadgroup('g1', 'c1', s, '>', { count: 10 })) as [string, [string, string[]][]][];
    expect(read).toHaveLength(1);
    expect(read[0]?.[0]).toBe(s);
    expect(read[0]?.[1][0]?.[0]).toBe(id);
    expect(read[0]?.[1][0]?.[1]).toEqual(['event', 'login', 'user', 'u1']);
    expect(await redis.xack(s, 'g1', id)).toBe(1);
  });

  it('EVAL/EVALSHA via createScript, with the NOSCRIPT fallback', async () => {
    // A script text unique to this run, so it is certainly not in the server's script cache.
    const script = redis.createScript<number>(INCR_SCRIPT);
    expect(await redisCommand(REDIS_URL, ['SCRIPT', 'EXISTS', script.sha1])).toEqual([0]);
    expect(await script.exec([key('script')], ['10'])).toBe(11); // EVALSHA → NOSCRIPT → EVAL
    expect(await script.exec([key('script')], ['10'])).toBe(12); // EVALSHA hits the cache
    expect(await redis.eval(NESTED_SCRIPT, [], [])).toEqual([1, 'two', [3]]);
  });

  it('pipeline and multi', async () => {
    const p = redis.pipeline();
    p.set(key('p'), '1');
    p.incr(key('p'));
    p.get(key('p'));
    p.hset(key('ph'), { f: 'v' });
    p.hgetall(key('ph'));
    expect(await p.exec()).toEqual(['OK', 2, 2, 1, { f: 'v' }]);

    const m = redis.multi();
    m.set(key('m'), 'a');
    m.append(key('m'), 'b');
    m.get(key('m'));
    expect(await m.exec()).toEqual(['OK', 2, 'ab']);

    // A runtime error inside EXEC is reported in its slot; the rest still ran.
    const m2 = redis.multi();
    m2.set(key('m2'), 'text');
    m2.incr(key('m2'));
    m2.get(key('m2'));
    const withErrors = await m2.exec({ keepErrors: true });
    expect(withErrors[0]).toEqual({ result: 'OK', error: undefined });
    expect(withErrors[1]?.error).toMatch(/not an integer/);
    expect(withErrors[2]).toEqual({ result: 'text', error: undefined });
  });

  it('multi-exec that Redis aborts (EXECABORT) fails as a whole and runs nothing', async () => {
    const res = await call('/multi-exec', [
      ['SET', key('abort'), '1'],
      ['SET', key('abort')], // wrong number of arguments: rejected while queueing
    ]);
    expect(res.status).toBe(400);
    expect((res.json as { error: string }).error).toMatch(/^EXECABORT.*wrong number of arguments/);
    expect(await redis.exists(key('abort'))).toBe(0);
  });

  it('an unknown command is an UpstashError naming it, and the bridge keeps serving', async () => {
    await expect(redis.exec(['NOSUCHCOMMAND', 'x'])).rejects.toThrow(upstashErrors.UpstashError);
    await expect(redis.exec(['NOSUCHCOMMAND', 'x'])).rejects.toThrow(/NOPERM .*'nosuchcommand'/);
    // Through auto-pipelining, the error lands on that command only.
    const [bad, good] = await Promise.allSettled([redis.hget(key('str'), 'f'), redis.set(key('str'), 'v')]);
    expect(bad.status).toBe('fulfilled');
    expect(good).toEqual({ status: 'fulfilled', value: 'OK' });
    await expect(redis.hget(key('str'), 'f')).rejects.toThrow(/WRONGTYPE/);
    expect(await redis.get(key('str'))).toBe('v');
  });

  it('base64 encoding: strings encoded at any depth, integers and nil untouched, errors plain', async () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const enc = { 'upstash-encoding': 'base64' };
    await call('/', ['RPUSH', key('list'), 'a', 'é']);
    expect((await call('/', ['GET', key('list-missing')], enc)).json).toEqual({ result: null });
    expect((await call('/', ['LRANGE', key('list'), '0', '-1'], enc)).json).toEqual({ result: [b64('a'), b64('é')] });
    expect((await call('/', ['LLEN', key('list')], enc)).json).toEqual({ result: 2 });
    expect((await call('/', ['SET', key('plain'), 'x'], enc)).json).toEqual({ result: b64('OK') });
    expect((await call('/', ['SET', key('plain'), 'x'])).json).toEqual({ result: 'OK' });
    expect((await call('/', ['EVAL', FALSE_SCRIPT, '0'], enc)).json).toEqual({
      result: [1, [b64('x'), null]],
    });
    const err = await call('/', ['LPOP', key('plain')], enc);
    expect(err.status).toBe(400);
    expect((err.json as { error: string }).error).toMatch(/^WRONGTYPE/);
    const pipe = await call(
      '/pipeline',
      [
        ['GET', key('plain')],
        ['LPOP', key('plain')],
      ],
      enc,
    );
    expect(pipe.json).toEqual([{ result: b64('x') }, { error: expect.stringMatching(/^WRONGTYPE/) }]);
  });

  it('integers beyond 2^53 keep all their digits', async () => {
    await call('/', ['SET', key('big'), '9007199254740993']);
    const res = await call('/', ['INCR', key('big')]);
    expect(res.text).toBe('{"result":9007199254740994}');
  });

  it('GET path-style commands', async () => {
    await redis.set(key('path/x'), 'a b');
    const res = await fetch(`${bridge.url}/get/${encodeURIComponent(key('path/x'))}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(await res.json()).toEqual({ result: 'a b' });
  });

  it('refuses commands that would block or take over a shared connection', async () => {
    // Never grantable: they change or take over the shared connection.
    for (const command of [
      ['SUBSCRIBE', 'ch'],
      ['SELECT', '1'],
      ['MONITOR'],
      ['QUIT'],
      ['CLIENT', 'KILL', 'ID', '1'],
      ['MULTI'],
    ]) {
      const res = await call('/', command);
      expect(res.status, command.join(' ')).toBe(400);
      expect((res.json as { error: string }).error).toMatch(/^NOPERM /);
    }
    // Granted, but blocking: refused on the shared connections.
    for (const command of [
      ['BLPOP', key('q'), '1'],
      ['XREAD', 'BLOCK', '0', 'STREAMS', key('s'), '$'],
    ]) {
      const res = await call('/', command);
      expect(res.status, command.join(' ')).toBe(400);
      expect((res.json as { error: string }).error).toMatch(/^ERR blocking .*not supported over REST/);
    }
    // XREAD without BLOCK is fine.
    expect((await call('/', ['XREAD', 'COUNT', '1', 'STREAMS', key('s'), '0'])).status).toBe(200);
    // In a pipeline only the refused slot fails.
    const pipe = await call('/pipeline', [
      ['SET', key('pp'), '1'],
      ['SUBSCRIBE', 'x'],
      ['GET', key('pp')],
    ]);
    expect(pipe.json).toEqual([{ result: 'OK' }, { error: expect.stringMatching(/'subscribe'/) }, { result: '1' }]);
    // Blocking commands inside MULTI do not block, so /multi-exec allows them.
    const tx = await call('/multi-exec', [
      ['RPUSH', key('bq'), 'job'],
      ['BLPOP', key('bq'), '1'],
    ]);
    expect(tx.json).toEqual([{ result: 1 }, { result: [key('bq'), 'job'] }]);
    // And the connections are still healthy.
    expect(await redis.incr(key('after-refusals'))).toBe(1);
  });

  it('wrong or missing bearer token → 401', async () => {
    const wrong = await call('/', ['PING'], { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toEqual({ error: 'Unauthorized' });
    const missing = await fetch(`${bridge.url}/`, { method: 'POST', body: '["PING"]' });
    expect(missing.status).toBe(401);
    const client = new Redis({ url: bridge.url, token: 'wrong-token' });
    await expect(client.get(key('x'))).rejects.toThrow(/Unauthorized/);
  });

  it('a value of several MiB round-trips exactly (base64 and plain), within its own body limit', async () => {
    const big = await startRedisRestBridge({
      redisUrl: REDIS_URL,
      clients: [{ name: 'protocol-test', token: TOKEN, grant: PROTOCOL_GRANT }],
      keyPrefix: PREFIX,
      maxBodyBytes: 8 * 1024 * 1024,
    });
    try {
      await big.waitUntilReady();
      const value = 'é'.repeat(2 * 1024 * 1024); // 4 MiB of UTF-8
      const client = new Redis({ url: big.url, token: TOKEN });
      expect(await client.set(key('big-value'), value)).toBe('OK');
      expect(await client.get(key('big-value'))).toBe(value);
      const plain = new Redis({ url: big.url, token: TOKEN, responseEncoding: false });
      expect(await plain.get(key('big-value'))).toBe(value);
    } finally {
      await big.close();
    }
  });

  it('oversized body → 413, malformed JSON and bad arguments → 400', async () => {
    const big = await call('/', ['SET', key('big-body'), 'x'.repeat(100 * 1024)]);
    expect(big.status).toBe(413);
    expect(big.json).toHaveProperty('error');
    const bad = await call('/', '["SET", "k"');
    expect(bad.status).toBe(400);
    expect(bad.json).toHaveProperty('error');
    for (const body of [
      { cmd: 'GET' },
      [],
      ['SET', key('o'), { a: 1 }],
      ['SET', key('o'), null],
      ['SET', key('o'), true],
    ]) {
      const res = await call('/', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await call('/pipeline', [['GET', key('x')], 'GET'])).status).toBe(400);
    expect((await call('/multi-exec', [])).status).toBe(400);
    expect(await redis.exists(key('big-body'), key('o'))).toBe(0);
    // Numbers are accepted as arguments (the client sends PX values as numbers).
    expect((await call('/', ['SET', key('num'), 12.5, 'PX', 60000])).json).toEqual({ result: 'OK' });
    expect(await redis.get(key('num'))).toBe(12.5);
  });
});
