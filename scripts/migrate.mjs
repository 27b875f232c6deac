#!/usr/bin/env node
// `npm run db:migrate`: the platform's one migration command (shared/db/migrate.mjs) on DATABASE_URL, the same
// program the Kubernetes db-migrate Job runs. Against Neon it connects directly; against any other Postgres it goes
// through PG_WS_PROXY when set, or through a temporary WebSocket bridge of our own for the duration of the run.
import { migrationCommand } from '../shared/db/migrate.mjs';
import { buildDataplane } from './build.mjs';

process.exitCode = await migrationCommand(process.env, {
  async startBridge(address) {
    await buildDataplane();
    const { startPgBridge } = await import('../dist/dataplane/index.mjs');
    return startPgBridge({ host: '127.0.0.1', port: 0, allow: [address] });
  },
});
