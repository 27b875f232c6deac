/**
 * Postgres access through the Neon serverless driver (WebSocket Pool) and drizzle.
 *
 * workerd forbids reusing an I/O object across requests, so a pool lives for one unit of work:
 * `withDb` opens it, runs `fn`, and ends it. Hot paths must not come here in steady state.
 */
import { Pool, neonConfig } from '@neondatabase/serverless';
import { drizzle, type NeonDatabase } from 'drizzle-orm/neon-serverless';
import * as subtls from 'subtls';
import type { CommonConfig } from '../env.js';
import * as schema from './schema.js';
import { postgresRootCerts, reportTlsFailures } from './tls.js';

export type Database = NeonDatabase<typeof schema>;

reportTlsFailures(neonConfig);

// PG_ROOT_CERTS is optional in the type so that callers holding a narrower pick still compile; the configs they
// pass are the full parsed config, and a URL asking for TLS without roots is refused with a clear error anyway.
type DbConfig = Pick<CommonConfig, 'DATABASE_URL' | 'PG_WS_PROXY'> & Partial<Pick<CommonConfig, 'PG_ROOT_CERTS'>>;

let configured: string | null = null;

/** Points the driver at the project's WebSocket bridge when PG_WS_PROXY is set; otherwise at Neon itself. */
function configureDriver(config: DbConfig): void {
  const proxy = config.PG_WS_PROXY;
  // Throws when the URL asks for TLS without roots to check the server against (see ./tls.ts).
  const rootCerts = proxy ? postgresRootCerts(config.DATABASE_URL, config.PG_ROOT_CERTS) : '';
  const key = `${proxy ?? ''}\n${rootCerts}`;
  if (configured === key) return;
  configured = key;
  if (proxy) {
    const base = proxy.replace(/\/+$/, '');
    neonConfig.wsProxy = (host, port) => `${base}?address=${host}:${port}`;
    // The bridge speaks plain ws:// on loopback or inside the cluster network. TLS is Postgres's own, end to end
    // inside the stream, whenever DATABASE_URL's sslmode asks for it (the driver's default ignores sslmode).
    neonConfig.useSecureWebSocket = false;
    neonConfig.forceDisablePgSSL = false;
    neonConfig.subtls = subtls;
    neonConfig.rootCerts = rootCerts;
    neonConfig.pipelineTLS = false;
    // SCRAM needs a round trip before the first query, so the connect pipeline must be off.
    neonConfig.pipelineConnect = false;
  } else {
    // Neon's own endpoint: the WebSocket is wss:// to Neon, verified against the runtime's CAs.
    neonConfig.forceDisablePgSSL = true;
  }
  // Coalescing delays each write to batch them; through a bridge that cost ~8x in latency (toolchain notes).
  neonConfig.coalesceWrites = false;
}

export function createPool(config: DbConfig, timeoutMs = 5000): Pool {
  configureDriver(config);
  return new Pool({ connectionString: config.DATABASE_URL, connectionTimeoutMillis: timeoutMs, max: 4 });
}

export async function withDb<T>(config: DbConfig, fn: (db: Database, pool: Pool) => Promise<T>): Promise<T> {
  const pool = createPool(config);
  // A pool error (e.g. the server closing an idle connection) must not become an unhandled rejection.
  pool.on('error', () => {});
  try {
    return await fn(drizzle({ client: pool, schema }), pool);
  } finally {
    await pool.end().catch(() => {});
  }
}

/** `select 1` with a deadline; used by /ready. Rejects with the reason on failure or timeout. */
export async function pingPostgres(config: DbConfig, timeoutMs: number) {
  const pool = createPool(config, timeoutMs);
  pool.on('error', () => {});
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      pool.query('select 1'),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    pool.end().catch(() => {});
  }
}
