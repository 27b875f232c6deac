/**
 * The db-migrate Job's program (k8s-fallback/bin/migrate.mjs, bundled by the build into dist/k8s/ as the image
 * carries it) on a fresh, empty database through the pg bridge, exactly as the Job runs it (DATABASE_URL + PG_WS_PROXY): it creates the schema, a second run is a no-op, and a
 * bad URL fails with a non-zero exit (so the Job is retried and reported).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, DEFAULT_DATABASE_URL, dropDatabase, nodePool } from '../../scripts/lib/platform.mjs';
import { startTestDataPlane, type TestDataPlane } from './harness.js';
import { ROOT } from './k8s-cluster.js';

function runMigrate(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'k8s', 'migrate.mjs')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', MIGRATIONS_DIR: join(ROOT, 'migrations'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('db-migrate Job program', () => {
  let dp: TestDataPlane;
  const adminUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const name = `esp_test_migrate_${randomBytes(5).toString('hex')}`;
  let databaseUrl: string;

  beforeAll(async () => {
    dp = await startTestDataPlane();
    databaseUrl = await createDatabase(adminUrl, dp.pgProxy, name);
  }, 60_000);

  afterAll(async () => {
    if (dp) {
      await dropDatabase(adminUrl, dp.pgProxy, name).catch(() => {});
      await dp.stop();
    }
  }, 60_000);

  it('creates the schema on an empty database through the bridge, and is idempotent', async () => {
    const first = await runMigrate({ DATABASE_URL: databaseUrl, PG_WS_PROXY: dp.pgProxy });
    expect(first.code, first.out).toBe(0);
    expect(first.out).toMatch(/"msg":"migrations applied"/);
    const pool = await nodePool(databaseUrl, dp.pgProxy);
    try {
      const tables = await pool.query(
        "select table_name from information_schema.tables where table_schema = 'public' order by table_name",
      );
      const names = tables.rows.map((r: { table_name: string }) => r.table_name);
      for (const t of ['oauth_clients', 'signing_keys', 'revoked_tokens', 'policy_sets', 'security_events']) {
        expect(names).toContain(t);
      }
      const applied = await pool.query('select count(*)::int as n from drizzle.__drizzle_migrations');
      const second = await runMigrate({ DATABASE_URL: databaseUrl, PG_WS_PROXY: dp.pgProxy });
      expect(second.code, second.out).toBe(0);
      const again = await pool.query('select count(*)::int as n from drizzle.__drizzle_migrations');
      expect(again.rows[0].n).toBe(applied.rows[0].n);
      expect(applied.rows[0].n).toBeGreaterThan(0);
    } finally {
      await pool.end().catch(() => {});
    }
  }, 60_000);

  it('fails with a non-zero exit when the database cannot be reached', async () => {
    const url = new URL(databaseUrl);
    url.pathname = '/esp_database_that_does_not_exist';
    const res = await runMigrate({ DATABASE_URL: url.toString(), PG_WS_PROXY: dp.pgProxy });
    expect(res.code, res.out).toBe(1);
    expect(res.out).toMatch(/"msg":"migration failed"/);
  }, 60_000);
});
