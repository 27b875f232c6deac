// The one migration command: applies migrations/ (drizzle-kit SQL, forward only) with drizzle's own migrator,
// through the same Neon driver setup the Workers use (./neon-driver.mjs). `npm run db:migrate`, `npm start`, the
// tests and the Kubernetes db-migrate Job all run it. Idempotent: applied migrations are recorded in drizzle's
// journal table. Production dependencies only (the Job runs it in the distroless image).
import { neonConfig, Pool } from '@neondatabase/serverless';
import { drizzle } from 'drizzle-orm/neon-serverless';
import { migrate } from 'drizzle-orm/neon-serverless/migrator';
import WebSocket from 'ws';
import { configureNeonDriver } from './neon-driver.mjs';
import { PostgresTlsConfigError } from './tls.mjs';

export const MIGRATIONS_DIR = new URL('../../migrations', import.meta.url).pathname;

/**
 * Applies every pending migration to `databaseUrl`, through the WebSocket bridge at `proxy` (PG_WS_PROXY) or, with
 * no proxy, straight to Neon's own endpoint. Postgres TLS follows DATABASE_URL's sslmode, verified against
 * `rootCerts` (PG_ROOT_CERTS), as for the Workers (./tls.mjs).
 * @param {{ databaseUrl: string, proxy?: string, rootCerts?: string, migrationsFolder?: string }} opts
 */
export async function migrateDatabase({ databaseUrl, proxy, rootCerts, migrationsFolder = MIGRATIONS_DIR }) {
  configureNeonDriver(neonConfig, { proxy: proxy || undefined, databaseUrl, rootCerts, webSocket: WebSocket });
  const pool = new Pool({ connectionString: databaseUrl, max: 1, connectionTimeoutMillis: 10_000 });
  pool.on('error', () => {});
  try {
    await migrate(drizzle({ client: pool }), { migrationsFolder });
  } finally {
    await pool.end().catch(() => {});
  }
}

/** The error's message with its causes (drizzle wraps the driver's error: "Failed query: ..." says too little). */
function describe(err) {
  const parts = [];
  for (let e = err; e && parts.length < 4; e = e.cause) parts.push(String(e.message ?? e));
  return parts.join(': ');
}

function log(entry) {
  console.log(JSON.stringify({ time: new Date().toISOString(), job: 'db-migrate', ...entry }));
}

/**
 * The command: DATABASE_URL, PG_WS_PROXY and PG_ROOT_CERTS from `env` (MIGRATIONS_DIR optionally), one JSON log line
 * with the outcome. `startBridge` (development only) opens a temporary WebSocket bridge when a non-Neon database is given
 * without PG_WS_PROXY. Returns the exit status: 0 applied, 1 failed, 2 misconfigured.
 * @param {Record<string, string | undefined>} env
 * @param {{ startBridge?: (address: string) => Promise<{ url: string, close(): Promise<void> }> }} [opts]
 */
export async function migrationCommand(env, { startBridge } = {}) {
  const databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    log({ level: 'error', msg: 'DATABASE_URL must be set (for example postgres://postgres@127.0.0.1:5432/postgres)' });
    return 2;
  }
  let url;
  try {
    url = new URL(databaseUrl);
  } catch {
    log({ level: 'error', msg: 'DATABASE_URL is not a URL' });
    return 2;
  }
  const migrationsFolder = env.MIGRATIONS_DIR || MIGRATIONS_DIR;
  let proxy = env.PG_WS_PROXY?.trim();
  let bridge;
  const started = Date.now();
  try {
    if (!proxy && !url.hostname.endsWith('.neon.tech')) {
      if (!startBridge) {
        log({ level: 'error', msg: 'PG_WS_PROXY must be set for a database other than Neon' });
        return 2;
      }
      bridge = await startBridge(`${url.hostname}:${url.port || 5432}`);
      proxy = bridge.url;
    }
    await migrateDatabase({ databaseUrl, proxy, rootCerts: env.PG_ROOT_CERTS, migrationsFolder });
    log({
      level: 'info',
      msg: 'migrations applied',
      database: `${url.host}${url.pathname}`,
      folder: migrationsFolder,
      duration_ms: Date.now() - started,
    });
    return 0;
  } catch (err) {
    if (err instanceof PostgresTlsConfigError) {
      log({ level: 'error', msg: err.message });
      return 2;
    }
    log({ level: 'error', msg: 'migration failed', error: describe(err) });
    return 1;
  } finally {
    await bridge?.close();
  }
}
