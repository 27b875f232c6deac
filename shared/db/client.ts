/**
 * Postgres access through the Neon serverless driver (WebSocket Pool) and drizzle.
 *
 * workerd forbids reusing an I/O object across requests, so a pool lives for one unit of work:
 * `withDb` opens it, runs `fn`, and ends it. Hot paths must not come here in steady state.
 */
import { Pool, neonConfig } from '@neondatabase/serverless';
import { drizzle, type NeonDatabase } from 'drizzle-orm/neon-serverless';
import type { CommonConfig } from '../env.js';
import * as schema from './schema.js';

export type Database = NeonDatabase<typeof schema>;

let configuredProxy: string | undefined | null = null;

/** Points the driver at the project's WebSocket bridge when PG_WS_PROXY is set; otherwise at Neon itself. */
function configureDriver(proxy: string | undefined): void {
  if (configuredProxy === (proxy ?? undefined)) return;
  configuredProxy = proxy ?? undefined;
  if (proxy) {
    const base = proxy.replace(/\/+$/, '');
    neonConfig.wsProxy = (host, port) => `${base}?address=${host}:${port}`;
    // The local bridge speaks plain ws:// on loopback or inside the cluster network; TLS is Postgres's own.
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineTLS = false;
    // SCRAM needs a round trip before the first query, so the connect pipeline must be off.
    neonConfig.pipelineConnect = false;
  }
  // Coalescing delays each write to batch them; through a bridge that cost ~8x in latency (toolchain notes).
  neonConfig.coalesceWrites = false;
}

export function createPool(config: Pick<CommonConfig, 'DATABASE_URL' | 'PG_WS_PROXY'>, timeoutMs = 5000): Pool {
  configureDriver(config.PG_WS_PROXY);
  return new Pool({ connectionString: config.DATABASE_URL, connectionTimeoutMillis: timeoutMs, max: 4 });
}

export async function withDb<T>(
  config: Pick<CommonConfig, 'DATABASE_URL' | 'PG_WS_PROXY'>,
  fn: (db: Database, pool: Pool) => Promise<T>,
): Promise<T> {
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
export async function pingPostgres(config: Pick<CommonConfig, 'DATABASE_URL' | 'PG_WS_PROXY'>, timeoutMs: number) {
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
