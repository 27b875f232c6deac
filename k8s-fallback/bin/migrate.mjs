#!/usr/bin/env node
// The db-migrate Job's program: applies migrations/ (drizzle-kit SQL, forward only) with drizzle's own migrator,
// through the same Neon driver and WebSocket path the Workers use (PG_WS_PROXY = the pg bridge), or straight to
// Neon when PG_WS_PROXY is empty. Idempotent: applied migrations are recorded in drizzle's journal table.
// Production dependencies only (it runs in the distroless image): @neondatabase/serverless, drizzle-orm, ws.
import { Pool, neonConfig } from '@neondatabase/serverless';
import { drizzle } from 'drizzle-orm/neon-serverless';
import { migrate } from 'drizzle-orm/neon-serverless/migrator';
import WebSocket from 'ws';

const databaseUrl = process.env.DATABASE_URL;
const proxy = process.env.PG_WS_PROXY?.trim();
const migrationsFolder = process.env.MIGRATIONS_DIR ?? new URL('../migrations', import.meta.url).pathname;

function log(entry) {
  console.log(JSON.stringify({ time: new Date().toISOString(), job: 'db-migrate', ...entry }));
}

async function main() {
  if (!databaseUrl) {
    log({ level: 'error', msg: 'DATABASE_URL must be set' });
    return 2;
  }
  neonConfig.webSocketConstructor = WebSocket;
  if (proxy) {
    const base = proxy.replace(/\/+$/, '');
    neonConfig.wsProxy = (host, port) => `${base}?address=${host}:${port}`;
    // Same settings as shared/db/client.ts: plain ws inside the cluster, Postgres's own TLS, SCRAM needs a round trip.
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineTLS = false;
    neonConfig.pipelineConnect = false;
  }
  const pool = new Pool({ connectionString: databaseUrl, max: 1, connectionTimeoutMillis: 10_000 });
  pool.on('error', () => {});
  const started = Date.now();
  try {
    await migrate(drizzle({ client: pool }), { migrationsFolder });
    log({ level: 'info', msg: 'migrations applied', folder: migrationsFolder, duration_ms: Date.now() - started });
    return 0;
  } catch (err) {
    log({ level: 'error', msg: 'migration failed', error: String(err?.message ?? err) });
    return 1;
  } finally {
    await pool.end().catch(() => {});
  }
}

process.exitCode = await main();
