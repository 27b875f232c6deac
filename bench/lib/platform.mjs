// The platform as `npm start` runs it (bare workerd from the generated configuration, the Postgres and Redis
// bridges, the machine's real Postgres and Redis), but everything of ours pinned to the server core, and built into
// a private folder so a concurrent `npm run build` elsewhere cannot swap files under a running measurement.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDataplane, buildWorkers } from '../../scripts/build.mjs';
import {
  createDatabase,
  DEFAULT_DATABASE_URL,
  DEFAULT_REDIS_URL,
  dropDatabase,
  freePort,
  generatedSecrets,
  migrate,
  startWorkerd,
} from '../../scripts/lib/platform.mjs';
import { deleteRedisKeys } from '../../scripts/lib/redis-keys.mjs';
import { platformEnvName, ROOT, WORKERS } from '../../scripts/lib/workers.mjs';
import { writeWorkerdConfigs } from '../../scripts/workerd-config.mjs';
import { redisServerPids } from './cpu.mjs';
import { pinned, SERVER_CPU, spawnPinned, waitForHttp } from './proc.mjs';

export const BENCH_OUT = join(ROOT, '.bench-out');

/** Bundles the Workers and the bridges exactly as `npm run build:workerd` does, into .bench-out/dist. */
export async function buildPlatform(outRoot = join(BENCH_OUT, 'dist')) {
  mkdirSync(outRoot, { recursive: true });
  await buildWorkers(outRoot);
  await buildDataplane(outRoot);
  writeWorkerdConfigs(outRoot);
  return outRoot;
}

function hostPort(url) {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 5432}`;
}

/**
 * Starts bridges + workerd (pinned) on a fresh database and Redis key prefix.
 * @param {{ outRoot: string, env?: Record<string,string>, log?: (msg: string) => void }} opts
 */
export async function startPlatform({ outRoot, env: extra = {}, log = () => {} }) {
  const adminUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const redisUrl = process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
  const stops = [];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn().catch(() => {});
  };
  try {
    const redisPort = await freePort();
    const pgPort = await freePort();
    const suffix = randomBytes(5).toString('hex');
    const redisPrefix = `esp-bench-${suffix}:`;
    // One Redis token per Worker, as deployed: the bridge limits each to that Worker's grant.
    const redisTokens = Object.fromEntries(WORKERS.map(({ name }) => [name, randomBytes(32).toString('base64url')]));
    const redisBridge = spawnPinned(
      SERVER_CPU,
      process.execPath,
      [join(outRoot, 'dataplane', 'main-redis-bridge.mjs')],
      {
        cwd: ROOT,
        env: {
          REDIS_BRIDGE_LISTEN: `127.0.0.1:${redisPort}`,
          REDIS_URL: redisUrl,
          REDIS_BRIDGE_KEY_PREFIX: redisPrefix,
          ...Object.fromEntries(
            WORKERS.map(({ name }) => [`REDIS_BRIDGE_TOKEN_${name.toUpperCase()}`, redisTokens[name]]),
          ),
          LOG_LEVEL: 'warn',
        },
      },
    );
    stops.push(() => redisBridge.stop());
    const pgBridge = spawnPinned(SERVER_CPU, process.execPath, [join(outRoot, 'dataplane', 'main-pg-bridge.mjs')], {
      cwd: ROOT,
      env: { PG_BRIDGE_LISTEN: `127.0.0.1:${pgPort}`, PG_BRIDGE_ALLOW: hostPort(adminUrl), LOG_LEVEL: 'warn' },
    });
    stops.push(() => pgBridge.stop());
    await waitForHttp(`http://127.0.0.1:${redisPort}/health`, redisBridge);
    await waitForHttp(`http://127.0.0.1:${pgPort}/health`, pgBridge);
    const pgProxy = `127.0.0.1:${pgPort}/v2`;

    const dbName = `esp_bench_${suffix}`;
    const databaseUrl = await createDatabase(adminUrl, pgProxy, dbName);
    stops.push(() => dropDatabase(adminUrl, pgProxy, dbName));
    await migrate(databaseUrl, pgProxy);
    const redisRestUrl = `http://127.0.0.1:${redisPort}`;
    stops.push(() => deleteRedisKeys(redisUrl, redisPrefix));

    const sockets = {};
    for (const { name } of WORKERS) sockets[name] = `127.0.0.1:${await freePort()}`;
    const secrets = {
      REGISTRATION_TOKEN: randomBytes(32).toString('base64url'),
      ADMIN_BOOTSTRAP_TOKEN: randomBytes(32).toString('base64url'),
      // Off Cloudflare the decision API requires its token; the client cache is sealed with the MAC key.
      ...generatedSecrets(),
    };
    const env = {
      ENVIRONMENT: 'production',
      LOG_REQUESTS: 'false',
      DATABASE_URL: databaseUrl,
      PG_WS_PROXY: pgProxy,
      UPSTASH_REDIS_REST_URL: redisRestUrl,
      ...Object.fromEntries(
        WORKERS.map(({ name }) => [platformEnvName('UPSTASH_REDIS_REST_TOKEN', name), redisTokens[name]]),
      ),
      REDIS_KEY_PREFIX: redisPrefix,
      ISSUER: `http://${sockets.auth}`,
      KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      ...secrets,
      ...extra,
    };
    const doStorageDir = mkdtempSync(join(tmpdir(), 'esp-bench-do-'));
    stops.push(async () => rmSync(doStorageDir, { recursive: true, force: true }));
    const workerd = await startWorkerd({
      config: join(outRoot, 'workerd', 'platform.capnp'),
      sockets,
      env,
      doStorageDir,
      // BENCH_WORKERD_WRAPPER: a command run in front of workerd (e.g. one adding --inspector-addr for profiling).
      prefix: [
        ...pinned(SERVER_CPU),
        ...(process.env.BENCH_WORKERD_WRAPPER ? [process.env.BENCH_WORKERD_WRAPPER] : []),
      ],
    });
    stops.push(() => workerd.stop());
    log(`platform up: auth ${sockets.auth}, database ${dbName}, Redis prefix ${redisPrefix}`);
    const url = (name) => `http://${sockets[name]}`;
    return {
      urls: { auth: url('auth'), policy: url('policy'), admin: url('admin'), monitor: url('monitor') },
      env,
      secrets,
      redis: { url: redisRestUrl, tokens: redisTokens, prefix: redisPrefix },
      pids: { workerd: workerd.child.pid, redisBridge: redisBridge.child.pid, pgBridge: pgBridge.child.pid },
      // Everything doing the platform's work (the machine's Redis server included, unpinned: it is shared).
      serverPids: [workerd.child.pid, redisBridge.child.pid, pgBridge.child.pid, ...redisServerPids()],
      logs: () => workerd.logs(),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
