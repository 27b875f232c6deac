#!/usr/bin/env node
// `npm run db:migrate`: applies migrations/ to DATABASE_URL with drizzle's migrator over the Neon driver, the
// same path the Workers use. Against Neon it connects directly; against any other Postgres it goes through
// PG_WS_PROXY when set, or through a temporary WebSocket bridge of our own for the duration of the run.
import { buildDataplane } from './build.mjs';
import { migrate } from './lib/platform.mjs';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  console.error('db:migrate: set DATABASE_URL (for example postgres://postgres@127.0.0.1:5432/postgres)');
  process.exit(2);
}
const url = new URL(databaseUrl);
const started = performance.now();

if (url.hostname.endsWith('.neon.tech') && !process.env.PG_WS_PROXY) {
  // Neon serves the WebSocket endpoint itself, over TLS.
  const { Pool, neonConfig } = await import('@neondatabase/serverless');
  const { default: WebSocket } = await import('ws');
  const { drizzle } = await import('drizzle-orm/neon-serverless');
  const { migrate: run } = await import('drizzle-orm/neon-serverless/migrator');
  neonConfig.webSocketConstructor = WebSocket;
  const pool = new Pool({ connectionString: databaseUrl });
  try {
    await run(drizzle({ client: pool }), { migrationsFolder: new URL('../migrations', import.meta.url).pathname });
  } finally {
    await pool.end();
  }
} else if (process.env.PG_WS_PROXY) {
  await migrate(databaseUrl, process.env.PG_WS_PROXY);
} else {
  await buildDataplane();
  const { startPgBridge } = await import('../dist/dataplane/index.mjs');
  const bridge = await startPgBridge({ host: '127.0.0.1', port: 0, allow: [`${url.hostname}:${url.port || 5432}`] });
  try {
    await migrate(databaseUrl, bridge.url);
  } finally {
    await bridge.close();
  }
}
console.log(`migrations applied to ${url.host}${url.pathname} in ${Math.round(performance.now() - started)} ms`);
