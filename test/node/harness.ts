/**
 * Black-box test harness: the real data plane and the real workerd, nothing in-process.
 *
 * Each `startPlatform()` gets its own database (`esp_test_<random>`, migrated) and its own Redis key prefix, so
 * concurrent runs never collide; `stop()` drops the database and deletes the keys. Requires `npm run build:workerd`
 * (the test runner does it first).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from '@upstash/redis';
import { KEYED_STATE_GRANT, REDIS_SCRIPTS, type RedisGrant } from '../../dataplane/src/redis-grants.js';
import {
  createDatabase,
  DEFAULT_DATABASE_URL,
  DEFAULT_REDIS_URL,
  dropDatabase,
  migrate,
  platformConfigPath,
  platformSockets,
  startDataPlane,
  startWorkerd,
  workerEnv,
} from '../../scripts/lib/platform.mjs';

export interface TestDataPlane {
  /** URL of this run's own database. */
  databaseUrl: string;
  redisUrl: string;
  pgProxy: string;
  redisRestUrl: string;
  /**
   * Each Worker's own Redis token (the bridge limits each to its grant), `tests`: the harness's own, and
   * `state-tests`: the test-only keyed-state Worker's (shared/state/test/worker.ts), with the keyed-state grant.
   */
  redisTokens: Record<string, string>;
  /** Prefix every Redis key of this run carries (REDIS_KEY_PREFIX). */
  redisPrefix: string;
  /** Environment for workerd pointing at this data plane. */
  env: Record<string, string>;
  /** Upstash client on the bridge with the tests' own token (TEST_REDIS_GRANT; keys must be prefixed by the caller). */
  redis: Redis;
  stop(): Promise<void>;
}

export interface Platform extends TestDataPlane {
  urls: { auth: string; policy: string; admin: string; monitor: string };
  /** Restarts workerd (same ports, same data), optionally with changed variables. */
  restartWorkerd(env?: Record<string, string>): Promise<void>;
  stopWorkerd(): Promise<void>;
  /** SIGKILL: a crash, no graceful shutdown (restart with `restartWorkerd`). */
  killWorkerd(): Promise<void>;
  logs(): string;
  /** The running workerd's process id (it changes on a restart): for CPU-time budgets. */
  pid(): number | undefined;
}

/**
 * What the tests themselves do in Redis through the bridge, with their own token: check and adjust what the Workers
 * stored, run the rate limiter's script directly, and delete the run's keys afterwards. Only under the run's prefix.
 */
export const TEST_REDIS_GRANT: RedisGrant = {
  commands: [
    ...['GET', 'SET', 'EXISTS', 'PTTL', 'DEL', 'XRANGE', 'SCAN', 'EVALSHA', 'EVAL', 'HSET', 'HGET'],
    // The revocation denylist (a sorted set): tests remove members and read scores behind the Worker's back.
    ...['ZADD', 'ZREM', 'ZMSCORE'],
    // Its change log (a stream): tests append an anchor to a log they deleted.
    'XADD',
  ],
  keys: ['*'],
  scripts: [REDIS_SCRIPTS.tokenBucket],
};

/** Where the data plane's servers are: by default the machine's (DATABASE_URL / REDIS_URL or the defaults). */
export interface DataPlaneServers {
  /** A database URL on the Postgres server to create this run's database on (e.g. through a cuttable forwarder). */
  adminDatabaseUrl?: string;
  /** A Redis server of the test's own (a private redis-server when the test must wipe or stop it). */
  redisUrl?: string;
}

/** The data plane alone: a fresh database and key prefix on the machine's Postgres and Redis, plus both bridges. */
export async function startTestDataPlane(servers: DataPlaneServers = {}): Promise<TestDataPlane> {
  const adminUrl = servers.adminDatabaseUrl ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const redisUrl = servers.redisUrl ?? process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
  const suffix = randomBytes(6).toString('hex');
  const dbName = `esp_test_${suffix}`;
  const redisPrefix = `esp-test-${suffix}:`;
  const dp = await startDataPlane({
    databaseUrl: adminUrl,
    redisUrl,
    redisKeyPrefix: redisPrefix,
    redisClients: { tests: TEST_REDIS_GRANT, 'state-tests': KEYED_STATE_GRANT },
  });
  let databaseUrl: string;
  try {
    databaseUrl = await createDatabase(adminUrl, dp.pgProxy, dbName);
    await migrate(databaseUrl, dp.pgProxy);
  } catch (err) {
    await dropDatabase(adminUrl, dp.pgProxy, dbName).catch(() => {});
    await dp.stop();
    throw err;
  }
  const redis = new Redis({
    url: dp.redisRestUrl,
    token: dp.redisTokens.tests as string,
    automaticDeserialization: false,
  });
  const env = workerEnv({ ...dp, databaseUrl }, { ENVIRONMENT: 'test', LOG_REQUESTS: 'false' });
  return {
    databaseUrl,
    redisUrl,
    pgProxy: dp.pgProxy,
    redisRestUrl: dp.redisRestUrl,
    redisTokens: dp.redisTokens,
    redisPrefix,
    env,
    redis,
    async stop() {
      await deleteKeys(redis, redisPrefix).catch(() => {});
      await dropDatabase(adminUrl, dp.pgProxy, dbName).catch(() => {});
      await dp.stop();
    },
  };
}

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, { match: `${prefix}*`, count: 1000 });
    cursor = String(next);
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

/** The whole platform: data plane + the four Workers in one workerd on free loopback ports. */
export async function startPlatform(
  opts: { env?: Record<string, string>; servers?: DataPlaneServers } = {},
): Promise<Platform> {
  const dp = await startTestDataPlane(opts.servers);
  const doStorageDir = mkdtempSync(join(tmpdir(), 'esp-do-'));
  let env = { ...dp.env, ...opts.env };
  let workerd: Awaited<ReturnType<typeof startWorkerd>> | undefined;
  let sockets: Record<string, string>;
  try {
    workerd = await startWorkerd({ config: platformConfigPath(), sockets: () => platformSockets(), env, doStorageDir });
    sockets = workerd.sockets;
  } catch (err) {
    await dp.stop();
    throw err;
  }
  // A restart keeps the ports, so URLs handed to the test stay valid.
  const launch = async () => {
    workerd = await startWorkerd({ config: platformConfigPath(), sockets, env, doStorageDir });
  };
  const url = (name: string) => `http://${sockets[name]}`;
  return {
    ...dp,
    env,
    urls: { auth: url('auth'), policy: url('policy'), admin: url('admin'), monitor: url('monitor') },
    async restartWorkerd(changes = {}) {
      await workerd?.stop();
      env = { ...env, ...changes };
      await launch();
    },
    async stopWorkerd() {
      await workerd?.stop();
    },
    async killWorkerd() {
      await workerd?.stop('SIGKILL');
    },
    logs: () => workerd?.logs() ?? '',
    pid: () => workerd?.child.pid,
    async stop() {
      await workerd?.stop();
      await dp.stop();
      rmSync(doStorageDir, { recursive: true, force: true });
    },
  };
}
