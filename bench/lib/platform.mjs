// The platform as `npm start` runs it (bare workerd from the generated configuration, the Postgres and Redis
// bridges, the machine's real Postgres and Redis), but everything of ours pinned to the server core, and built into
// a private folder so a concurrent `npm run build` elsewhere cannot swap files under a running measurement.
//
// Replicas: further workerd processes on the same data (database, Redis key prefix, keys, issuer), as Kubernetes
// runs them, each through bridges of its own, optionally simulating a distant data plane (every Postgres and Redis
// round trip costs `dataRttMs`, dataplane/src/simulated-rtt.ts). A replica can be restarted without warming it, for
// first-request (cold isolate) measurements.
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
import { DATA_CPU, pinned, SERVER_CPU, spawnPinned, waitForHttp, waitForPort } from './proc.mjs';

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
 * The two bridges of one workerd process, pinned to the server core (`cpu`, default DATA_CPU, which is the server
 * core unless BENCH_DATA_CPU says otherwise).
 * @param {{ outRoot: string, adminUrl: string, redisUrl: string, redisPrefix: string,
 *   redisTokens: Record<string,string>, dataRttMs?: number, cpu?: string }} opts
 */
async function startBridges({ outRoot, adminUrl, redisUrl, redisPrefix, redisTokens, dataRttMs = 0, cpu = DATA_CPU }) {
  const stops = [];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn().catch(() => {});
  };
  try {
    const redisPort = await freePort();
    const pgPort = await freePort();
    const rtt = String(dataRttMs);
    const redisBridge = spawnPinned(cpu, process.execPath, [join(outRoot, 'dataplane', 'main-redis-bridge.mjs')], {
      cwd: ROOT,
      env: {
        REDIS_BRIDGE_LISTEN: `127.0.0.1:${redisPort}`,
        REDIS_URL: redisUrl,
        REDIS_BRIDGE_KEY_PREFIX: redisPrefix,
        REDIS_BRIDGE_SIMULATED_RTT_MS: rtt,
        ...Object.fromEntries(
          WORKERS.map(({ name }) => [`REDIS_BRIDGE_TOKEN_${name.toUpperCase()}`, redisTokens[name]]),
        ),
        LOG_LEVEL: 'warn',
      },
    });
    stops.push(() => redisBridge.stop());
    const pgBridge = spawnPinned(cpu, process.execPath, [join(outRoot, 'dataplane', 'main-pg-bridge.mjs')], {
      cwd: ROOT,
      env: {
        PG_BRIDGE_LISTEN: `127.0.0.1:${pgPort}`,
        PG_BRIDGE_ALLOW: hostPort(adminUrl),
        PG_BRIDGE_SIMULATED_RTT_MS: rtt,
        LOG_LEVEL: 'warn',
      },
    });
    stops.push(() => pgBridge.stop());
    await waitForHttp(`http://127.0.0.1:${redisPort}/health`, redisBridge);
    await waitForHttp(`http://127.0.0.1:${pgPort}/health`, pgBridge);
    return {
      pgProxy: `127.0.0.1:${pgPort}/v2`,
      redisRestUrl: `http://127.0.0.1:${redisPort}`,
      pids: { redisBridge: redisBridge.child.pid, pgBridge: pgBridge.child.pid },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * One workerd process running the platform on given bridges, restartable on the same sockets and Durable Object
 * storage.
 */
async function startServer({ outRoot, env, sockets }) {
  const doStorageDir = mkdtempSync(join(tmpdir(), 'esp-bench-do-'));
  const launch = (probe) =>
    startWorkerd({
      config: join(outRoot, 'workerd', 'platform.capnp'),
      sockets,
      env,
      doStorageDir,
      probe,
      // BENCH_WORKERD_WRAPPER: a command run in front of workerd (e.g. one adding --inspector-addr for profiling).
      prefix: [
        ...pinned(SERVER_CPU),
        ...(process.env.BENCH_WORKERD_WRAPPER ? [process.env.BENCH_WORKERD_WRAPPER] : []),
      ],
    });
  let workerd = await launch(true);
  return {
    pid: () => workerd.child.pid,
    logs: () => workerd.logs(),
    /**
     * Stops workerd and starts it again without sending it anything: when this resolves, every socket accepts
     * connections and no request has reached the new isolates yet.
     */
    async restartCold() {
      await workerd.stop();
      workerd = await launch(false);
      const exited = workerd.exited.then((code) => {
        throw new Error(`workerd exited (${code}) on restart:\n${workerd.logs()}`);
      });
      await Promise.race([
        Promise.all(
          Object.values(sockets).map((addr) => {
            const [host, port] = addr.split(':');
            return waitForPort(host, Number(port));
          }),
        ),
        exited,
      ]);
      exited.catch(() => {});
    },
    async stop() {
      await workerd.stop();
      rmSync(doStorageDir, { recursive: true, force: true });
    },
  };
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
    const suffix = randomBytes(5).toString('hex');
    const redisPrefix = `esp-bench-${suffix}:`;
    // One Redis token per Worker, as deployed: the bridge limits each to that Worker's grant.
    const redisTokens = Object.fromEntries(WORKERS.map(({ name }) => [name, randomBytes(32).toString('base64url')]));
    const bridgeOpts = { outRoot, adminUrl, redisUrl, redisPrefix, redisTokens };
    const bridges = await startBridges(bridgeOpts);
    stops.push(bridges.stop);

    const dbName = `esp_bench_${suffix}`;
    const databaseUrl = await createDatabase(adminUrl, bridges.pgProxy, dbName);
    stops.push(() => dropDatabase(adminUrl, bridges.pgProxy, dbName));
    await migrate(databaseUrl, bridges.pgProxy);
    stops.push(() => deleteRedisKeys(redisUrl, redisPrefix));

    const pickSockets = async () => {
      const sockets = {};
      for (const { name } of WORKERS) sockets[name] = `127.0.0.1:${await freePort()}`;
      return sockets;
    };
    const sockets = await pickSockets();
    const secrets = {
      REGISTRATION_TOKEN: randomBytes(32).toString('base64url'),
      ADMIN_BOOTSTRAP_TOKEN: randomBytes(32).toString('base64url'),
      // Off Cloudflare the decision API requires its token; the client cache is sealed with the MAC key.
      ...generatedSecrets(),
    };
    const dataPlaneEnv = (b) => ({ PG_WS_PROXY: b.pgProxy, UPSTASH_REDIS_REST_URL: b.redisRestUrl });
    const env = {
      ENVIRONMENT: 'production',
      LOG_REQUESTS: 'false',
      DATABASE_URL: databaseUrl,
      ...dataPlaneEnv(bridges),
      ...Object.fromEntries(
        WORKERS.map(({ name }) => [platformEnvName('UPSTASH_REDIS_REST_TOKEN', name), redisTokens[name]]),
      ),
      REDIS_KEY_PREFIX: redisPrefix,
      // Replicas keep the first process's issuer: one issuer behind a load balancer.
      ISSUER: `http://${sockets.auth}`,
      KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      ...secrets,
      ...extra,
    };
    const server = await startServer({ outRoot, env, sockets });
    stops.push(() => server.stop());
    log(`platform up: auth ${sockets.auth}, database ${dbName}, Redis prefix ${redisPrefix}`);
    const urlsOf = (s) => Object.fromEntries(WORKERS.map(({ name }) => [name, `http://${s[name]}`]));
    const serverPidsOf = (srv, b) => [srv.pid(), b.pids.redisBridge, b.pids.pgBridge, ...redisServerPids()];
    return {
      urls: urlsOf(sockets),
      env,
      secrets,
      redis: { url: bridges.redisRestUrl, tokens: redisTokens, prefix: redisPrefix },
      pids: { workerd: server.pid(), ...bridges.pids },
      // Everything doing the platform's work (the machine's Redis server included, unpinned: it is shared).
      serverPids: serverPidsOf(server, bridges),
      logs: () => server.logs(),
      /**
       * Another workerd process on the same data, through bridges of its own (simulating a data plane `dataRttMs`
       * away when set; pinned to `dataCpu` when set, e.g. off the server core), with `env` over the platform's. Stopped with the platform, or before by `stop()`.
       * @returns {Promise<{ urls, dataRttMs: number, redis: { url: string }, serverPids: () => number[],
       *   restartCold(): Promise<void>,
       *   logs(): string, stop(): Promise<void> }>}
       */
      async replica({ dataRttMs = 0, dataCpu, env: replicaEnv = {} } = {}) {
        const own = await startBridges({ ...bridgeOpts, dataRttMs, cpu: dataCpu });
        const replicaSockets = await pickSockets();
        let replica;
        try {
          replica = await startServer({
            outRoot,
            env: { ...env, ...dataPlaneEnv(own), ...replicaEnv },
            sockets: replicaSockets,
          });
        } catch (err) {
          await own.stop();
          throw err;
        }
        let stopped;
        const stopReplica = () => {
          stopped ??= replica.stop().finally(own.stop);
          return stopped;
        };
        stops.push(stopReplica);
        log(`replica up: auth ${replicaSockets.auth}, data plane RTT ${dataRttMs} ms`);
        return {
          urls: urlsOf(replicaSockets),
          dataRttMs,
          // Its own Redis bridge (same tokens and prefix as the platform's): what one Redis round trip costs there.
          redis: { url: own.redisRestUrl },
          // A restart changes workerd's pid: read it when a measurement starts.
          serverPids: () => serverPidsOf(replica, own),
          restartCold: () => replica.restartCold(),
          logs: () => replica.logs(),
          stop: stopReplica,
        };
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
