#!/usr/bin/env node
// The db-migrate Job's program: applies migrations/ (drizzle-kit SQL, forward only) with drizzle's own migrator,
// through the same Neon driver and WebSocket path the Workers use (PG_WS_PROXY = the pg bridge), or straight to
// Neon when PG_WS_PROXY is empty. Idempotent: applied migrations are recorded in drizzle's journal table.
// Production dependencies only (it runs in the distroless image): @neondatabase/serverless, drizzle-orm, subtls, ws.
//
// Postgres TLS follows shared/db/tls.ts (the Workers' rule; this file runs without a TypeScript build, hence the
// short restatement): any sslmode but `disable` means TLS inside the bridge's stream, verified against PG_ROOT_CERTS
// and the URL's host name, and a URL asking for TLS without PG_ROOT_CERTS is refused.
import { Pool, neonConfig } from '@neondatabase/serverless';
import { drizzle } from 'drizzle-orm/neon-serverless';
import { migrate } from 'drizzle-orm/neon-serverless/migrator';
import * as subtls from 'subtls';
import WebSocket from 'ws';

const databaseUrl = process.env.DATABASE_URL;
const proxy = process.env.PG_WS_PROXY?.trim();
const rootCerts = process.env.PG_ROOT_CERTS ?? '';
const migrationsFolder = process.env.MIGRATIONS_DIR ?? new URL('../migrations', import.meta.url).pathname;

function log(entry) {
  console.log(JSON.stringify({ time: new Date().toISOString(), job: 'db-migrate', ...entry }));
}

/** null when DATABASE_URL does not ask for TLS; otherwise the reason it cannot be honoured, or '' when it can. */
function tlsProblem(url) {
  const params = new URL(url).searchParams;
  const mode = params.get('sslmode');
  const wanted = mode ? mode !== 'disable' : ['true', '1'].includes(params.get('ssl') ?? '');
  if (!wanted) return null;
  if (mode === 'no-verify') return 'sslmode=no-verify is refused: use verify-full with PG_ROOT_CERTS';
  if (!rootCerts.includes('-----BEGIN CERTIFICATE-----')) return 'DATABASE_URL asks for TLS but PG_ROOT_CERTS is empty';
  return '';
}

async function main() {
  if (!databaseUrl) {
    log({ level: 'error', msg: 'DATABASE_URL must be set' });
    return 2;
  }
  neonConfig.webSocketConstructor = WebSocket;
  if (proxy) {
    const problem = tlsProblem(databaseUrl);
    if (problem) {
      log({ level: 'error', msg: problem });
      return 2;
    }
    const base = proxy.replace(/\/+$/, '');
    neonConfig.wsProxy = (host, port) => `${base}?address=${host}:${port}`;
    // Same settings as shared/db/client.ts: plain ws inside the cluster, Postgres's own TLS, SCRAM needs a round trip.
    neonConfig.useSecureWebSocket = false;
    neonConfig.forceDisablePgSSL = false;
    neonConfig.subtls = subtls;
    neonConfig.rootCerts = rootCerts;
    neonConfig.pipelineTLS = false;
    neonConfig.pipelineConnect = false;
    // The driver drops the handshake's promise (shared/db/tls.ts, reportTlsFailures); fail the run with the reason.
    process.on('unhandledRejection', (err) => {
      log({ level: 'error', msg: 'migration failed', error: `Postgres TLS handshake failed: ${err?.message ?? err}` });
      process.exit(1);
    });
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
