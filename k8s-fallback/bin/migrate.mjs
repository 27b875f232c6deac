#!/usr/bin/env node
// The db-migrate Job's program: the platform's one migration command (shared/db/migrate.mjs) with DATABASE_URL,
// PG_WS_PROXY (the pg bridge, or empty for Neon) and PG_ROOT_CERTS (Postgres TLS, shared/db/tls.mjs) from the Job.
// Exit status is the Job's result.
// The build bundles this file into dist/k8s/ for the image, where the migrations sit in ../migrations.
import { migrationCommand } from '../../shared/db/migrate.mjs';

const MIGRATIONS_DIR = process.env.MIGRATIONS_DIR ?? new URL('../migrations', import.meta.url).pathname;
process.exitCode = await migrationCommand({ ...process.env, MIGRATIONS_DIR });
