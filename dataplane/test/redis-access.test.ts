/**
 * Who may do what through the Redis REST bridge. Each Worker has its own token and grant (src/redis-grants.ts);
 * these tests hold a Worker's token and try everything else: server administration, keys outside the Worker's own,
 * arbitrary Lua, a registered script on the wrong keys, the same through pipelines and transactions.
 *
 * The attacks run against a private redis-server (never the machine's shared one: a FLUSHALL that got through
 * would wipe every other test run), and each test checks afterwards that Redis is untouched.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, startLocalRedis } from '../src/local-servers.js';
import { compileGrant, refusalFor } from '../src/redis-access.js';
import { keysOf, COMMAND_RULES } from '../src/redis-command-keys.js';
import { TOKEN_BUCKET_LUA } from '../../shared/rate-limit/storage/redis-script.js';
import { STATE_SCRIPT, STATE_SCRIPT_SHA1 } from '../../shared/state/redis-script.js';
import { REDIS_SCRIPTS, WORKER_REDIS_GRANTS } from '../src/redis-grants.js';
import { type RedisRestBridge, startRedisRestBridge } from '../src/redis-rest-bridge.js';
import { randomId, redisCommand, tempDir } from './helpers.js';

const PREFIX = 'esp:';
const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
const keys = (...args: string[]) => keysOf(COMMAND_RULES[(args[0] as string).toUpperCase()]!.keys, args);

describe('keys of a command', () => {
  it('finds every key, however the command spreads them', () => {
    expect(keys('GET', 'a')).toEqual(['a']);
    expect(keys('SET', 'a', 'v', 'EX', '10', 'NX')).toEqual(['a']);
    expect(keys('MGET', 'a', 'b', 'c')).toEqual(['a', 'b', 'c']);
    expect(keys('DEL', 'a', 'b')).toEqual(['a', 'b']);
    expect(keys('MSET', 'a', '1', 'b', '2')).toEqual(['a', 'b']);
    expect(keys('BLPOP', 'a', 'b', '5')).toEqual(['a', 'b']);
    expect(keys('EVAL', 'return 1', '2', 'a', 'b', 'argv1')).toEqual(['a', 'b']);
    expect(keys('EVALSHA', 'abc', '0', 'argv1')).toEqual([]);
    expect(keys('XADD', 's', 'MAXLEN', '~', '1000', '*', 'f', 'v')).toEqual(['s']);
    expect(keys('XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM')).toEqual(['s']);
    expect(keys('XINFO', 'STREAM', 's')).toEqual(['s']);
    expect(keys('XREAD', 'COUNT', '10', 'STREAMS', 'a', 'b', '0', '0')).toEqual(['a', 'b']);
    // A group or consumer named STREAMS does not move the keys: options are walked with their own arity.
    expect(keys('XREADGROUP', 'GROUP', 'STREAMS', 'c', 'COUNT', '1', 'STREAMS', 'k', '>')).toEqual(['k']);
    expect(keys('XREADGROUP', 'GROUP', 'g', 'STREAMS', 'NOACK', 'STREAMS', 'k1', 'k2', '>', '>')).toEqual(['k1', 'k2']);
  });

  it('refuses what it cannot parse instead of forwarding it', () => {
    for (const bad of [
      ['GET'],
      ['MGET'],
      ['MSET', 'a', '1', 'b'],
      ['EVAL', 'return 1', 'x'],
      ['EVAL', 'return 1', '3', 'a'],
      ['XREAD', 'STREAMS', 'a', 'b', '0'],
      ['XREAD', 'FOO', '1', 'STREAMS', 'a', '0'],
      ['XGROUP', 'HELP'],
      ['XINFO', 'HELP'],
    ]) {
      expect(() => keys(...bad), bad.join(' ')).toThrow();
    }
  });
});

describe('grants', () => {
  it('refuse to be built around what the bridge cannot enforce', () => {
    expect(() => compileGrant('x', { commands: ['FLUSHALL'], keys: [] }, PREFIX)).toThrow(/cannot be granted/);
    expect(() => compileGrant('x', { commands: ['KEYS'], keys: [] }, PREFIX)).toThrow(/cannot be granted/);
    expect(() => compileGrant('x', { commands: ['SORT'], keys: [] }, PREFIX)).toThrow(/cannot be granted/);
    expect(() => compileGrant('x', { commands: ['GET'], keys: ['a*b'] }, PREFIX)).toThrow(/key pattern/);
    expect(() => compileGrant('x', { commands: ['GET'], keys: ['*'] }, '')).toThrow(/key pattern/);
    expect(() => compileGrant('x', { commands: ['EVAL'], keys: [] }, PREFIX)).toThrow(/registered scripts/);
  });

  it('every Worker grant is enforceable, and registers exactly the scripts it may run', () => {
    for (const [name, grant] of Object.entries(WORKER_REDIS_GRANTS)) {
      expect(() => compileGrant(name, grant, PREFIX), name).not.toThrow();
    }
    const auth = compileGrant('auth', WORKER_REDIS_GRANTS.auth, PREFIX);
    expect([...auth.scripts.keys()]).toEqual([REDIS_SCRIPTS.tokenBucket.sha1, REDIS_SCRIPTS.keyedState.sha1]);
    const policy = compileGrant('policy', WORKER_REDIS_GRANTS.policy, PREFIX);
    expect([...policy.scripts.keys()]).toEqual([
      REDIS_SCRIPTS.policyGenerationRaise.sha1,
      REDIS_SCRIPTS.tokenBucket.sha1, // its failed-admin-authentication buckets
    ]);
  });

  it('registers each script by the SHA-1 of its source text', () => {
    expect(sha1(TOKEN_BUCKET_LUA)).toBe(REDIS_SCRIPTS.tokenBucket.sha1);
    expect(sha1(STATE_SCRIPT)).toBe(REDIS_SCRIPTS.keyedState.sha1);
    expect(STATE_SCRIPT_SHA1).toBe(REDIS_SCRIPTS.keyedState.sha1);
  });

  it('SCAN only with a MATCH whose literal start lies inside the grant', () => {
    const g = compileGrant('tests', { commands: ['SCAN'], keys: ['*'] }, 'esp-test-1:');
    expect(refusalFor(g, ['SCAN', '0', 'MATCH', 'esp-test-1:*', 'COUNT', '100'], 'shared')).toBeNull();
    for (const scan of [
      ['SCAN', '0'],
      ['SCAN', '0', 'MATCH', '*'],
      ['SCAN', '0', 'MATCH', 'esp-test-*'],
      ['SCAN', '0', 'MATCH', 'esp-test-1[:]*'],
      ['SCAN', '0', 'COUNT', '10', 'MATCH'],
    ]) {
      expect(refusalFor(g, scan, 'shared'), scan.join(' ')).not.toBeNull();
    }
  });
});

describe('per-Worker tokens on the bridge', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let server: LocalServer;
  let bridge: RedisRestBridge;
  const logs: Record<string, unknown>[] = [];
  const tokens = Object.fromEntries(Object.keys(WORKER_REDIS_GRANTS).map((w) => [w, `${w}-token-${randomId()}`]));
  const client = (worker: string) => new Redis({ url: bridge.url, token: tokens[worker] as string });

  /** Raw REST call with a Worker's token; returns status and parsed body. */
  const call = async (worker: string, route: string, body: unknown) => {
    const res = await fetch(`${bridge.url}${route}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[worker]}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as unknown };
  };

  beforeAll(async () => {
    tmp = await tempDir();
    server = await startLocalRedis({ dataDir: path.join(tmp.dir, 'redis') });
    bridge = await startRedisRestBridge({
      redisUrl: server.url,
      clients: Object.entries(WORKER_REDIS_GRANTS).map(([name, grant]) => ({
        name,
        grant,
        token: tokens[name] as string,
      })),
      keyPrefix: PREFIX,
      log: (e) => logs.push(e),
    });
    await bridge.waitUntilReady();
  }, 60_000);

  afterAll(async () => {
    await bridge?.close();
    await server?.stop();
    await tmp?.remove();
  });

  /** Keys that must survive every attack: one outside any prefix, one of another Worker, one of another tenant. */
  async function plantVictims(): Promise<void> {
    await redisCommand(server.url, ['SET', 'victim', 'intact']);
    await redisCommand(server.url, ['SET', `${PREFIX}policy:default:generation`, '7']);
    await redisCommand(server.url, ['SET', 'other-tenant:client:abc', 'theirs']);
  }

  async function expectUntouched(): Promise<void> {
    expect(await redisCommand(server.url, ['GET', 'victim'])).toBe('intact');
    expect(await redisCommand(server.url, ['GET', `${PREFIX}policy:default:generation`])).toBe('7');
    expect(await redisCommand(server.url, ['GET', 'other-tenant:client:abc'])).toBe('theirs');
    expect(await redisCommand(server.url, ['CONFIG', 'GET', 'maxmemory-policy'])).toEqual([
      'maxmemory-policy',
      'noeviction',
    ]);
  }

  it("the auth token cannot administer the server, list keys, or reach keys that are not auth's", async () => {
    await plantVictims();
    const attacks: string[][] = [
      ['FLUSHALL'],
      ['FLUSHDB'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-random'],
      ['CONFIG', 'GET', 'requirepass'],
      ['KEYS', '*'],
      ['SCAN', '0'],
      ['SCAN', '0', 'MATCH', '*'],
      ['MIGRATE', '127.0.0.1', '1', '', '0', '1000', 'KEYS', 'victim'],
      ['SORT', `${PREFIX}client:x`, 'BY', 'nosort', 'GET', 'victim'],
      ['DEBUG', 'SLEEP', '1'],
      ['SHUTDOWN', 'NOSAVE'],
      ['SCRIPT', 'FLUSH'],
      ['FUNCTION', 'FLUSH'],
      ['ACL', 'LIST'],
      ['INFO'],
      ['CLIENT', 'LIST'],
      ['RENAME', 'victim', `${PREFIX}client:stolen`],
      ['DEL', `${PREFIX}client:x`], // a command auth does not use
      ['GET', 'victim'],
      ['SET', 'victim', 'owned'],
      ['GET', `${PREFIX}policy:default:generation`], // the policy Worker's key
      ['SET', 'other-tenant:client:abc', 'owned'], // another deployment's prefix
      ['MGET', `${PREFIX}client:a`, 'victim'], // one good key does not carry a bad one
      ['EXISTS', `${PREFIX}revoked:x`, 'victim'],
      ['XADD', 'other-stream', '*', 'f', 'v'],
      // Arbitrary Lua would bypass everything above.
      ['EVAL', "return redis.call('FLUSHALL')", '0'],
      ['EVAL', "return redis.call('GET', KEYS[1])", '1', `${PREFIX}client:a`],
      ['EVALSHA', sha1("return redis.call('FLUSHALL')"), '0'],
      // The registered script, but on someone else's key or with the wrong number of keys.
      ['EVALSHA', REDIS_SCRIPTS.tokenBucket.sha1, '1', 'victim', 'charge', '1', '1', '1', '0', '0', '', ''],
      ['EVALSHA', REDIS_SCRIPTS.tokenBucket.sha1, '0'],
      // The policy Worker's registered script is not auth's.
      ['EVALSHA', REDIS_SCRIPTS.policyGenerationRaise.sha1, '1', `${PREFIX}rate-limit:x`, '9'],
    ];
    for (const command of attacks) {
      const res = await call('auth', '/', command);
      expect(res.status, command.join(' ')).toBe(400);
      expect((res.json as { error: string }).error, command.join(' ')).toMatch(/^(NOPERM|ERR) /);
    }
    // Pipelines check every slot; a transaction with one refused command runs nothing.
    const pipe = await call('auth', '/pipeline', [['SET', `${PREFIX}client:p`, '1'], ['FLUSHALL'], ['GET', 'victim']]);
    expect(pipe.json).toEqual([
      { result: 'OK' },
      { error: expect.stringMatching(/^NOPERM/) },
      { error: expect.stringMatching(/^NOPERM/) },
    ]);
    const tx = await call('auth', '/multi-exec', [
      ['SET', `${PREFIX}client:t`, '1'],
      ['SET', 'victim', 'owned'],
    ]);
    expect(tx.status).toBe(400);
    expect((tx.json as { error: string }).error).toMatch(/^EXECABORT .*NOPERM/);
    expect(await redisCommand(server.url, ['EXISTS', `${PREFIX}client:t`])).toBe(0);
    // The same path-style.
    const path = await fetch(`${bridge.url}/flushall`, { headers: { authorization: `Bearer ${tokens.auth}` } });
    expect(path.status).toBe(400);
    await expectUntouched();
    // Refusals are logged with the client and command (never the arguments).
    expect(logs.some((e) => e.msg === 'redis command refused' && e.client === 'auth' && e.command === 'flushall')).toBe(
      true,
    );
  });

  it('the auth token does what the auth Worker does', async () => {
    const auth = client('auth');
    expect(await auth.ping()).toBe('PONG');
    expect(await auth.set(`${PREFIX}client:c1`, '{"v":1}', { ex: 60 })).toBe('OK');
    expect(await auth.set(`${PREFIX}client-version:c1`, '1', { ex: 60, nx: true })).toBe('OK');
    expect(await auth.mget(`${PREFIX}client-version:c1`, `${PREFIX}client:c1`)).toEqual([1, { v: 1 }]);
    // The revocation denylist: one sorted set with its completeness marker, and the rebuild's lock.
    expect(await auth.zadd(`${PREFIX}revoked`, { score: 2_000_000_000, member: 'j1' })).toBe(1);
    expect(await auth.zmscore(`${PREFIX}revoked`, ['j1', ':complete'])).toEqual([2_000_000_000, null]);
    expect(await auth.zremrangebyscore(`${PREFIX}revoked`, '-inf', 1)).toBe(0);
    expect(await auth.set(`${PREFIX}revoked:rebuild`, 'me', { nx: true, px: 1000 })).toBe('OK');
    expect(await auth.set(`${PREFIX}keys:version`, 'v1')).toBe('OK');
    expect(await auth.get(`${PREFIX}keys:version`)).toBe('v1');
    const id = await auth.xadd(
      `${PREFIX}security-events`,
      '*',
      { type: 'x' },
      {
        trim: { type: 'MAXLEN', threshold: 1000, comparison: '~' },
      },
    );
    expect(id).toMatch(/^\d+-\d+$/);
  });

  it('the policy token reaches only the policy keys and its own script; admin its audit events and admin-auth buckets', async () => {
    await plantVictims();
    const policy = client('policy');
    expect(await policy.get(`${PREFIX}policy:default:generation`)).toBe(7);
    const raise =
      "local cur = tonumber(redis.call('GET', KEYS[1]) or '-1')\nif tonumber(ARGV[1]) > cur then redis.call('SET', KEYS[1], ARGV[1]) return 1 end\nreturn 0";
    expect(sha1(raise)).toBe(REDIS_SCRIPTS.policyGenerationRaise.sha1);
    expect(await policy.eval(raise, [`${PREFIX}policy:default:generation`], ['8'])).toBe(1);
    expect(await redisCommand(server.url, ['GET', `${PREFIX}policy:default:generation`])).toBe('8');
    await redisCommand(server.url, ['SET', `${PREFIX}policy:default:generation`, '7']);
    for (const command of [
      ['GET', `${PREFIX}client:c1`],
      ['EVAL', raise, '1', 'victim', '99'],
      ['SET', `${PREFIX}keys:version`, '0'],
    ]) {
      expect((await call('policy', '/', command)).status, command.join(' ')).toBe(400);
    }
    expect(await client('admin').ping()).toBe('PONG');
    for (const command of [
      ['GET', `${PREFIX}client:c1`],
      ['SET', `${PREFIX}rate-limit:admin-auth:ip:x`, '1'],
      ['EVAL', raise, '1', `${PREFIX}rate-limit:admin-auth:ip:x`, '99'],
    ]) {
      expect((await call('admin', '/', command)).status, `admin: ${command.join(' ')}`).toBe(400);
    }
    // The admin Worker appends its audit events to the stream, and nowhere else.
    expect((await call('admin', '/', ['XADD', `${PREFIX}security-events`, '*', 'f', 'v'])).status).toBe(200);
    expect((await call('admin', '/', ['XADD', `${PREFIX}elsewhere`, '*', 'f', 'v'])).status).toBe(400);
    await expectUntouched();
  });

  it('the monitor token runs the consumer group on the stream and nothing else', async () => {
    await plantVictims();
    const stream = `${PREFIX}security-events`;
    const ok = async (command: string[]) => {
      const res = await call('monitor', '/', command);
      expect(res.status, command.join(' ')).toBe(200);
      return (res.json as { result: unknown }).result;
    };
    expect(await ok(['XGROUP', 'CREATE', stream, 'g', '$', 'MKSTREAM'])).toBe('OK');
    const id = (await ok(['XADD', stream, '*', 'type', 'x'])) as string;
    expect(await ok(['XREADGROUP', 'GROUP', 'g', 'c1', 'COUNT', '10', 'STREAMS', stream, '>'])).toEqual([
      [stream, [[id, ['type', 'x']]]],
    ]);
    expect(await ok(['XAUTOCLAIM', stream, 'g', 'c2', '0', '0-0', 'COUNT', '10'])).toEqual([
      '0-0',
      [[id, ['type', 'x']]],
      [],
    ]);
    expect(await ok(['XACK', stream, 'g', id])).toBe(1);
    expect(await ok(['XTRIM', stream, 'MAXLEN', '~', '1000'])).toBe(0);
    expect(Array.isArray(await ok(['XINFO', 'GROUPS', stream]))).toBe(true);
    for (const command of [
      ['GET', `${PREFIX}client:c1`],
      ['XREADGROUP', 'GROUP', 'g', 'c1', 'STREAMS', `${PREFIX}client:c1`, '>'],
      ['XGROUP', 'CREATE', `${PREFIX}revoked`, 'g', '0', 'MKSTREAM'],
      ['XREADGROUP', 'GROUP', 'g', 'c1', 'BLOCK', '1000', 'STREAMS', stream, '>'],
      ['DEL', stream],
      ['XDEL', stream, id],
    ]) {
      expect((await call('monitor', '/', command)).status, `monitor: ${command.join(' ')}`).toBe(400);
    }
    await expectUntouched();
  });

  it('a token of one Worker is no other: unknown and old shared tokens are 401', async () => {
    const res = await fetch(`${bridge.url}/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.auth}x` },
      body: '["PING"]',
    });
    expect(res.status).toBe(401);
    await expect(
      startRedisRestBridge({
        redisUrl: server.url,
        clients: [
          { name: 'a', token: 'same-token-0123456789', grant: { commands: ['PING'], keys: [] } },
          { name: 'b', token: 'same-token-0123456789', grant: { commands: ['PING'], keys: [] } },
        ],
      }),
    ).rejects.toThrow(/also another client's token/);
  });
});
