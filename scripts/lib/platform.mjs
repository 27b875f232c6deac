// Starts the platform the way every non-Cloudflare deployment runs it: the data plane (Postgres and Redis,
// plus the two bridges the Neon and Upstash drivers speak to) and the Workers under the real `workerd` binary
// from the generated configuration. Used by `npm start`, `npm run bench` and the black-box tests.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { migrateDatabase } from '../../shared/db/migrate.mjs';
import { configureNeonDriver } from '../../shared/db/neon-driver.mjs';
import { platformEnvName, ROOT, WORKERS } from './workers.mjs';

const require = createRequire(import.meta.url);

// Node's own import(), out of reach of a test runner's module transform: the bridges are Node code with Node
// dependencies (ioredis), and a runner resolving for Workers (the keyed-state suite's global setup runs under
// @cloudflare/vitest-pool-workers, which inlines every dependency with Worker conditions) would break them.
const nodeImport = require('./node-import.cjs');
export const WORKERD_BIN = require('workerd').default;

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

async function loadDataplane() {
  const built = join(ROOT, 'dist', 'dataplane', 'index.mjs');
  if (!existsSync(built)) throw new Error('dist/dataplane is missing: run `npm run build` first');
  return nodeImport(pathToFileURL(built).href);
}

/**
 * Secrets every run of the platform off Cloudflare needs and can make up for itself: the policy Worker's decision
 * API token (required outside Cloudflare; the other Workers send it), the auth Worker's client-cache MAC key and the
 * monitor's webhook-secret key.
 * Tests and the bench get fresh ones per run (`workerEnv`); `npm start` keeps its own in .data/local-secrets.json.
 */
export function generatedSecrets() {
  return {
    POLICY_API_TOKEN: randomBytes(32).toString('base64url'),
    CLIENT_CACHE_MAC_KEY: randomBytes(32).toString('base64'),
    // The monitor's key sealing webhook signing secrets at rest (workers/monitor/src/webhooks/secret-box.ts).
    WEBHOOK_SECRET_KEY: randomBytes(32).toString('base64'),
  };
}

/**
 * Local-only secrets for `npm start` and `npm run dev`, generated once and kept in .data/local-secrets.json (0600)
 * so signing keys and the admin credential survive restarts. A file from an older version gets the secrets it lacks.
 * Never used by tests or deployments.
 */
export function localSecrets(dataDir = join(ROOT, '.data')) {
  const file = join(dataDir, 'local-secrets.json');
  mkdirSync(dataDir, { recursive: true });
  const kept = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const secrets = {
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ADMIN_BOOTSTRAP_TOKEN: randomBytes(32).toString('base64url'),
    ...generatedSecrets(),
    ...kept,
  };
  if (Object.keys(secrets).some((k) => !(k in kept))) {
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return secrets;
}

/** Adds `additions` to .data/local-secrets.json (0600), e.g. what `npm start` provisioned for the dashboard. */
export function saveLocalSecrets(additions, dataDir = join(ROOT, '.data')) {
  const file = join(dataDir, 'local-secrets.json');
  const kept = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  if (Object.entries(additions).every(([k, v]) => kept[k] === v)) return;
  writeFileSync(file, JSON.stringify({ ...kept, ...additions }, null, 2), { mode: 0o600 });
}

/** A free loopback port. The tiny window before the caller binds it is acceptable for local use and tests. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function hostPort(url) {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 5432}`;
}

/**
 * Where the private Postgres keeps its cluster. As root, Postgres runs as the `postgres` OS user, which must be able
 * to walk down to the folder; when a parent of the checkout is closed to it (a clone under /root, say), the cluster
 * goes to /var/lib/edge-security/<checkout hash>/postgres instead, which also survives restarts.
 */
function postgresDataDir(dataDir, log) {
  const preferred = join(dataDir, 'postgres');
  if (process.getuid?.() !== 0) return preferred;
  mkdirSync(dataDir, { recursive: true });
  chmodSync(dataDir, 0o711);
  const probe = spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', dataDir]);
  if (probe.status === 0) return preferred;
  const fallback = join(
    '/var/lib/edge-security',
    createHash('sha256').update(ROOT).digest('hex').slice(0, 12),
    'postgres',
  );
  log({ level: 'warn', msg: `the postgres user cannot reach ${dataDir}; keeping the cluster in ${fallback}` });
  return fallback;
}

/**
 * Starts Postgres/Redis when no URL is given (private servers under dataDir), then both bridges. The Redis bridge gets
 * one token per Worker, each limited to that Worker's grant (dataplane/src/redis-grants.ts) under `redisKeyPrefix`,
 * plus `redisClients`: extra callers with their own grants (the test harness).
 * @returns {Promise<{databaseUrl, redisUrl, pgProxy, redisRestUrl, redisTokens, redisKeyPrefix, postgresSource, redisSource, stop}>}
 */
export async function startDataPlane({
  databaseUrl,
  redisUrl,
  dataDir = join(ROOT, '.data'),
  redisKeyPrefix = '',
  redisClients = {},
  log = () => {},
} = {}) {
  const dp = await loadDataplane();
  const stops = [];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn().catch(() => {});
  };
  try {
    let postgresSource = 'DATABASE_URL';
    if (!databaseUrl) {
      const pgDir = postgresDataDir(dataDir, log);
      const pg = await dp.startLocalPostgres({ dataDir: pgDir, log });
      stops.push(() => pg.stop());
      databaseUrl = pg.url;
      postgresSource = `private server (${pgDir})`;
    }
    let redisSource = 'REDIS_URL';
    if (!redisUrl) {
      const redis = await dp.startLocalRedis({ dataDir: join(dataDir, 'redis'), log });
      stops.push(() => redis.stop());
      redisUrl = redis.url;
      redisSource = `private server (${join(dataDir, 'redis')})`;
    }
    const pgBridge = await dp.startPgBridge({ host: '127.0.0.1', port: 0, allow: [hostPort(databaseUrl)], log });
    stops.push(() => pgBridge.close());
    const grants = { ...dp.WORKER_REDIS_GRANTS, ...redisClients };
    const redisTokens = Object.fromEntries(
      Object.keys(grants).map((name) => [name, randomBytes(32).toString('base64url')]),
    );
    const redisBridge = await dp.startRedisRestBridge({
      host: '127.0.0.1',
      port: 0,
      redisUrl,
      clients: Object.entries(grants).map(([name, grant]) => ({ name, grant, token: redisTokens[name] })),
      keyPrefix: redisKeyPrefix,
      log,
    });
    stops.push(() => redisBridge.close());
    return {
      databaseUrl,
      redisUrl,
      pgProxy: pgBridge.url,
      redisRestUrl: redisBridge.url,
      redisTokens,
      redisKeyPrefix,
      postgresSource,
      redisSource,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Neon Pool in Node, through the WebSocket bridge: the same driver and setup the Workers use (Postgres TLS when
 * the URL's sslmode asks for it, verified against `rootCerts`).
 */
export async function nodePool(databaseUrl, pgProxy, rootCerts) {
  const { Pool, neonConfig } = await import('@neondatabase/serverless');
  const { default: WebSocket } = await import('ws');
  configureNeonDriver(neonConfig, { proxy: pgProxy, databaseUrl, rootCerts, webSocket: WebSocket });
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  pool.on('error', () => {});
  return pool;
}

/** Applies migrations/ through the bridge with the platform's one migration command. Idempotent. */
export async function migrate(databaseUrl, pgProxy, rootCerts) {
  await migrateDatabase({ databaseUrl, proxy: pgProxy, rootCerts });
}

/** Creates (or drops) a database next to the one in `adminUrl`. Names are generated, never user input. */
export async function createDatabase(adminUrl, pgProxy, name) {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`bad database name ${name}`);
  const pool = await nodePool(adminUrl, pgProxy);
  try {
    await pool.query(`create database ${name}`);
  } finally {
    await pool.end().catch(() => {});
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropDatabase(adminUrl, pgProxy, name) {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`bad database name ${name}`);
  const pool = await nodePool(adminUrl, pgProxy);
  try {
    await pool.query(`drop database if exists ${name} with (force)`);
  } finally {
    await pool.end().catch(() => {});
  }
}

/**
 * How the Workers reach a data plane: its addresses, key prefix, and each Worker's own Redis token under its
 * per-Worker name (UPSTASH_REDIS_REST_TOKEN_AUTH, ...).
 */
export function dataPlaneEnv(dataPlane) {
  const tokens = Object.fromEntries(
    WORKERS.map(({ name }) => [platformEnvName('UPSTASH_REDIS_REST_TOKEN', name), dataPlane.redisTokens[name]]),
  );
  return {
    DATABASE_URL: dataPlane.databaseUrl,
    PG_WS_PROXY: dataPlane.pgProxy,
    UPSTASH_REDIS_REST_URL: dataPlane.redisRestUrl,
    REDIS_KEY_PREFIX: dataPlane.redisKeyPrefix,
    ...tokens,
  };
}

/**
 * The variables the generated platform config reads with fromEnvironment, for a given data plane: fresh generated
 * secrets (`generatedSecrets`), the data plane's addresses and tokens, then `extra`.
 */
export function workerEnv(dataPlane, extra = {}) {
  return { ...generatedSecrets(), ...dataPlaneEnv(dataPlane), ...extra };
}

async function waitForHealth(url, deadline, child) {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`workerd exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url}/health did not answer in time`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Runs `workerd serve <config>` with socket and storage overrides.
 * @param {object} opts
 * @param {string} opts.config  path to a generated .capnp
 * @param {Record<string,string> | (() => Promise<Record<string,string>>)} opts.sockets  socket name → host:port,
 *   or a function picking free ports (called again when a port turns out to be taken)
 * @param {Record<string,string>} opts.env  fromEnvironment values
 * @param {string} [opts.doStorageDir]
 * @param {string[]} [opts.prefix]  command prefix, e.g. ['taskset', '-c', '1']
 * @param {(line: string) => void} [opts.onLog]
 * @param {boolean} [opts.probe]  wait for GET /health on every socket (default); false returns at once, for a caller
 *   that must send the first request itself (a cold-start measurement)
 */
export async function startWorkerd(opts) {
  // A port from freePort() can be taken by another process before workerd binds it; pick again and retry.
  const pick = typeof opts.sockets === 'function' ? opts.sockets : async () => opts.sockets;
  for (let attempt = 1; ; attempt++) {
    const sockets = await pick();
    try {
      return { ...(await launchWorkerd({ ...opts, sockets })), sockets };
    } catch (err) {
      if (attempt >= 5 || !String(err.message).includes('Address already in use')) throw err;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

async function launchWorkerd({
  config,
  sockets,
  env,
  doStorageDir,
  prefix = [],
  onLog,
  probe = true,
  timeoutMs = 15_000,
}) {
  const args = ['serve', config];
  for (const [name, addr] of Object.entries(sockets)) args.push('--socket-addr', `${name}=${addr}`);
  if (readFileSync(config, 'utf8').includes('"do-storage"')) {
    if (!doStorageDir) throw new Error('this configuration has Durable Objects: doStorageDir is required');
    mkdirSync(doStorageDir, { recursive: true });
    args.push('--directory-path', `do-storage=${doStorageDir}`);
  }
  // Only what the Workers need, not the caller's whole environment: fromEnvironment can read any variable.
  const { child, stop, logs, exited } = spawnLogged([...prefix, WORKERD_BIN, ...args], {
    cwd: ROOT,
    env,
    onLine: onLog,
  });
  if (!probe) return { child, stop, logs, exited };
  try {
    const deadline = Date.now() + timeoutMs;
    await Promise.all(Object.values(sockets).map((addr) => waitForHealth(`http://${addr}`, deadline, child)));
  } catch (err) {
    await stop('SIGKILL');
    throw new Error(`${err.message}\n--- workerd output ---\n${logs()}`);
  }
  return { child, stop, logs, exited };
}

/**
 * Spawns `command` with a minimal environment (PATH, HOME and `env`), keeps the last 200 output lines for error
 * reports, and stops it with SIGTERM, then SIGKILL after 3 s. `exited` resolves with the exit code.
 */
export function spawnLogged([cmd, ...args], { cwd = ROOT, env = {}, onLine } = {}) {
  const child = spawn(cmd, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail = [];
  const collect = (chunk) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue;
      tail.push(line);
      if (tail.length > 200) tail.shift();
      onLine?.(line);
    }
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (signal = 'SIGTERM') => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  return { child, stop, logs: () => tail.join('\n'), exited };
}

/** Socket map for the platform config: given ports, or fresh free ones. */
export async function platformSockets(ports) {
  const sockets = {};
  for (const { name, port } of WORKERS) {
    sockets[name] = `127.0.0.1:${ports === 'default' ? port : (ports?.[name] ?? (await freePort()))}`;
  }
  return sockets;
}

export function platformConfigPath() {
  const config = join(ROOT, 'dist', 'workerd', 'platform.capnp');
  if (!existsSync(config)) throw new Error('dist/workerd/platform.capnp is missing: run `npm run build:workerd`');
  return config;
}
