/**
 * Postgres access through the Neon serverless driver (WebSocket Pool) and drizzle.
 *
 * workerd forbids reusing an I/O object across requests, so a pool lives for one unit of work:
 * `withDb` opens it, runs `fn`, and ends it. Hot paths must not come here in steady state.
 */
import { neonConfig, Pool } from '@neondatabase/serverless';
import { drizzle, type NeonDatabase } from 'drizzle-orm/neon-serverless';
import { withDeadline } from '../deadline.js';
import type { CommonConfig } from '../env.js';
import { configureNeonDriver } from './neon-driver.mjs';
import * as schema from './schema.js';

export type Database = NeonDatabase<typeof schema>;
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

type DbConfig = Pick<CommonConfig, 'DATABASE_URL' | 'PG_WS_PROXY' | 'PG_ROOT_CERTS'>;

/** Postgres of one deployment. A Worker's services hold one per env. */
export interface Postgres {
  /** Opens a pool, runs `fn`, ends the pool. Errors propagate as thrown. */
  withDb<T>(fn: (db: Database) => Promise<T>): Promise<T>;
  /** `select 1` with a deadline; used by /ready. Rejects with the reason on failure or timeout. */
  ping(timeoutMs: number): Promise<void>;
}

// neonConfig is the driver's global state: set it again only when the settings change (tests run several).
let configuredFor: string | null = null;

function pool(config: DbConfig, timeoutMs = 5000): Pool {
  const key = `${config.PG_WS_PROXY ?? ''}\n${config.DATABASE_URL}\n${config.PG_ROOT_CERTS ?? ''}`;
  if (configuredFor !== key) {
    // Throws PostgresTlsConfigError when DATABASE_URL asks for TLS that PG_ROOT_CERTS cannot verify (./tls.mjs).
    configureNeonDriver(neonConfig, {
      proxy: config.PG_WS_PROXY,
      databaseUrl: config.DATABASE_URL,
      rootCerts: config.PG_ROOT_CERTS,
    });
    configuredFor = key;
  }
  const p = new Pool({ connectionString: config.DATABASE_URL, connectionTimeoutMillis: timeoutMs, max: 4 });
  // A pool error (e.g. the server closing an idle connection) must not become an unhandled rejection.
  p.on('error', () => {});
  return p;
}

export function createPostgres(config: DbConfig): Postgres {
  return {
    async withDb(fn) {
      const p = pool(config);
      try {
        return await fn(drizzle({ client: p, schema }));
      } finally {
        await p.end().catch(() => {});
      }
    },
    async ping(timeoutMs) {
      const p = pool(config, timeoutMs);
      try {
        await withDeadline(p.query('select 1'), timeoutMs);
      } finally {
        p.end().catch(() => {});
      }
    },
  };
}
