/**
 * The Redis ACL user k8s-fallback/README.md documents for the bridge's own connection: exactly the line between the
 * README's redis-acl markers is applied to a private redis-server. The bridge, connected as that user, serves every
 * Worker's grant; the same user, used directly (a compromised bridge), cannot go beyond it, not even from Lua; and
 * the line allows what the grants in dataplane/src/redis-grants.ts need and nothing more.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Redis as Upstash } from '@upstash/redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../dataplane/test/helpers.js';
import { type LocalServer, startLocalRedis } from '../../dataplane/src/local-servers.js';
import { WORKER_REDIS_GRANTS } from '../../dataplane/src/redis-grants.js';
import { type RedisRestBridge, startRedisRestBridge } from '../../dataplane/src/redis-rest-bridge.js';
import { ROOT } from '../../scripts/lib/workers.mjs';
import { TOKEN_BUCKET_LUA } from '../../shared/rate-limit/storage/redis-script.js';
import { STATE_SCRIPT } from '../../shared/state/redis-script.js';

const PREFIX = 'esp:';
const PASSWORD = 'acl-test-password-0123456789';

/** The ACL SETUSER line of the README, as documented (password replaced). */
function documentedAcl(): string[] {
  const readme = readFileSync(path.join(ROOT, 'k8s-fallback', 'README.md'), 'utf8');
  const block = /<!-- redis-acl:begin[^>]*-->\s*```\n(ACL SETUSER [^\n]+)\n```\s*<!-- redis-acl:end -->/.exec(readme);
  if (!block) throw new Error('no redis-acl block in k8s-fallback/README.md');
  return (block[1] as string).replace('>CHANGE-ME', `>${PASSWORD}`).split(/\s+/).slice(2);
}

describe('the documented Redis ACL user of the bridge', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let server: LocalServer;
  let bridge: RedisRestBridge;
  let admin: Redis;
  const tokens = Object.fromEntries(Object.keys(WORKER_REDIS_GRANTS).map((w) => [w, `${w}-acl-test-token-0123`]));

  beforeAll(async () => {
    tmp = await tempDir();
    server = await startLocalRedis({ dataDir: path.join(tmp.dir, 'redis') });
    admin = new Redis(server.url);
    await admin.call('ACL', 'SETUSER', ...documentedAcl());
    const bridgeUrl = server.url.replace('redis://', `redis://edge-bridge:${PASSWORD}@`);
    bridge = await startRedisRestBridge({
      redisUrl: bridgeUrl,
      clients: Object.entries(WORKER_REDIS_GRANTS).map(([name, grant]) => ({
        name,
        grant,
        token: tokens[name] as string,
      })),
      keyPrefix: PREFIX,
    });
    await bridge.waitUntilReady();
  }, 60_000);

  afterAll(async () => {
    admin?.disconnect();
    await bridge?.close();
    await server?.stop();
    await tmp?.remove();
  });

  it('covers exactly the commands and keys of the Workers’ grants and scripts (plus the client’s PING, INFO, QUIT)', () => {
    const acl = documentedAcl();
    const commands = new Set(acl.filter((a) => a.startsWith('+')).map((a) => a.slice(1).toUpperCase()));
    const keys = new Set(acl.filter((a) => a.startsWith('~')).map((a) => a.slice(1)));
    const grants = Object.values(WORKER_REDIS_GRANTS);
    const scripts = grants.flatMap((g) => ('scripts' in g ? g.scripts : []) as { calls: readonly string[] }[]);
    const granted = new Set([...grants.flatMap((g) => g.commands), ...scripts.flatMap((s) => s.calls)]);
    expect([...commands].sort()).toEqual([...new Set([...granted, 'PING', 'INFO', 'QUIT'])].sort());
    expect([...keys].sort()).toEqual([...new Set(grants.flatMap((g) => g.keys.map((k) => PREFIX + k)))].sort());
    expect(acl).toContain('-@all');
    expect(acl).toContain('resetkeys');
  });

  it('lets the bridge serve what the Workers do', async () => {
    const auth = new Upstash({ url: bridge.url, token: tokens.auth as string });
    expect(await auth.set(`${PREFIX}client:c1`, 'v', { ex: 60 })).toBe('OK');
    expect(await auth.mget(`${PREFIX}client-version:c1`, `${PREFIX}client:c1`)).toEqual([null, 'v']);
    expect(await auth.set(`${PREFIX}keys:version`, 'v1')).toBe('OK');
    expect(await auth.zadd(`${PREFIX}revoked`, { score: 1, member: 'j' })).toBe(1);
    expect(await auth.zmscore(`${PREFIX}revoked`, ['j', ':complete'])).toEqual([1, null]);
    expect(await auth.zremrangebyscore(`${PREFIX}revoked`, '-inf', 1)).toBe(1);
    expect(await auth.set(`${PREFIX}revoked:rebuild`, 'x', { nx: true, px: 1000 })).toBe('OK');
    expect(await auth.xadd(`${PREFIX}security-events`, '*', { type: 'x' })).toMatch(/^\d+-\d+$/);
    // The denylist's change log: appended by a revocation, read from a cursor, and its tip on a first read.
    const logged = await auth.xadd(`${PREFIX}revoked:log`, '*', { m: 'j' });
    expect(await auth.xrange(`${PREFIX}revoked:log`, logged, '+')).toEqual({ [logged]: { m: 'j' } });
    expect(Object.keys(await auth.xrevrange(`${PREFIX}revoked:log`, '+', '-', 1))).toEqual([logged]);
    const bucket = auth.createScript<unknown[]>(TOKEN_BUCKET_LUA);
    const reply = await bucket.exec([`${PREFIX}rate-limit:k`], ['acquire', '10', '1', '1', '0', '0', '', '']);
    expect(reply[0]).toBe(1);
    // The keyed-state script (TIME, GET, SET, DEL inside Lua): write a document, then delete it.
    const doc = `${PREFIX}state:m:k`;
    expect(await auth.eval(STATE_SCRIPT, [doc], ['cas', '', 's1|v1|{}', ''])).toEqual([1]);
    expect(await auth.eval(STATE_SCRIPT, [doc], ['cas', 'v1', '', ''])).toEqual([1]);
    expect(await admin.exists(doc)).toBe(0);
    const policy = new Upstash({ url: bridge.url, token: tokens.policy as string });
    expect(await policy.get(`${PREFIX}policy:default:generation`)).toBeNull();
    // The policy Worker's failed-admin-authentication buckets (the rate limiter's script on its own keys).
    const adminAuth = policy.createScript<unknown[]>(TOKEN_BUCKET_LUA);
    const taken = await adminAuth.exec(
      [`${PREFIX}rate-limit:admin-auth:ip:x`],
      ['acquire', '10', '1', '1', '0', '0', '', ''],
    );
    expect(taken[0]).toBe(1);
    for (const worker of ['admin', 'monitor']) {
      expect(await new Upstash({ url: bridge.url, token: tokens[worker] as string }).ping()).toBe('PONG');
    }
  });

  it('refuses the bridge’s own user everything else, also from inside Lua', async () => {
    await admin.set('victim', 'intact');
    const direct = new Redis(server.url.replace('redis://', `redis://edge-bridge:${PASSWORD}@`));
    try {
      for (const args of [
        ['FLUSHALL'],
        ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-random'],
        ['KEYS', '*'],
        ['GET', 'victim'],
        ['UNLINK', `${PREFIX}client:c1`],
        ['DEL', 'victim'],
        ['EVAL', "return redis.call('FLUSHALL')", '0'],
        ['EVAL', "return redis.call('GET', 'victim')", '0'],
      ]) {
        await expect(direct.call(args[0] as string, ...args.slice(1)), args.join(' ')).rejects.toThrow(
          /NOPERM|no permissions|can't run this command|can't access at least one of the keys/,
        );
      }
    } finally {
      direct.disconnect();
    }
    expect(await admin.get('victim')).toBe('intact');
  });
});
