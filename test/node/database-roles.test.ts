/**
 * The production database roles of k8s-fallback/sql/database-roles.sql: migrations run as the owner role, and the
 * four Workers run as the app role, which can do everything the platform does (register, issue, introspect, revoke,
 * rotate keys, publish and activate policies) and nothing a stolen app credential should (DDL, TRUNCATE, temporary
 * tables). A private Postgres, so the cluster-wide roles never touch the machine's server.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, startLocalPostgres } from '../../dataplane/src/local-servers.js';
import {
  type DataPlane,
  migrate,
  nodePool,
  platformConfigPath,
  platformSockets,
  startDataPlane,
  startWorkerd,
  type WorkerdProcess,
  workerEnv,
} from '../../scripts/lib/platform.mjs';
import { ROOT } from '../../scripts/lib/workers.mjs';

let dir: string;
let pg: LocalServer;
let dp: DataPlane;
let workerd: WorkerdProcess;
const bootstrap = randomBytes(32).toString('base64url');
const roleUrl = (role: string) => `postgres://${role}@127.0.0.1:${pg.port}/edge_security`;

async function sql(url: string, text: string, params: unknown[] = []): Promise<{ rows: Record<string, unknown>[] }> {
  const pool = await nodePool(url, dp.pgProxy);
  try {
    return await pool.query(text, params);
  } finally {
    await pool.end().catch(() => {});
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'esp-db-roles-'));
  await chmod(dir, 0o755);
  pg = await startLocalPostgres({ dataDir: join(dir, 'pg') });
  const prefix = `esp-roles-${randomBytes(4).toString('hex')}:`;
  dp = await startDataPlane({
    databaseUrl: pg.url,
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    redisKeyPrefix: prefix,
  });
  await sql(pg.url, 'create database edge_security');
  await sql(roleUrl('postgres'), readFileSync(join(ROOT, 'k8s-fallback', 'sql', 'database-roles.sql'), 'utf8'));
  await migrate(roleUrl('edge_security_owner'), dp.pgProxy);
  workerd = await startWorkerd({
    config: platformConfigPath(),
    sockets: () => platformSockets(),
    env: workerEnv(
      { ...dp, databaseUrl: roleUrl('edge_security_app') },
      {
        ENVIRONMENT: 'test',
        LOG_REQUESTS: 'false',
        ISSUER: 'http://127.0.0.1:8080',
        KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        ADMIN_BOOTSTRAP_TOKEN: bootstrap,
        ALLOW_OPEN_REGISTRATION: 'true',
        // About privileges, not latency: the machine may be busy, and a cold policy decision loads its store.
        SERVICE_TIMEOUT_MS: '10000',
        READY_TIMEOUT_MS: '5000',
      },
    ),
    doStorageDir: join(dir, 'do'),
  });
}, 120_000);

afterAll(async () => {
  await workerd?.stop();
  await dp?.stop();
  await pg?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('database roles', () => {
  it('the app role cannot change the schema, empty tables, or make temporary tables', async () => {
    const app = roleUrl('edge_security_app');
    for (const statement of [
      'create table stolen (x int)',
      'drop table oauth_clients',
      'alter table oauth_clients add column x int',
      'truncate admin_credentials',
      'create temporary table t (x int)',
      'create schema other',
      'select * from drizzle.__drizzle_migrations',
    ]) {
      await expect(sql(app, statement), statement).rejects.toThrow(/permission denied|must be owner/);
    }
    expect((await sql(app, 'select count(*)::int as n from oauth_clients')).rows).toEqual([{ n: 0 }]);
  });

  it('the Workers do their whole job as the app role', async () => {
    const url = (name: string) => `http://${workerd.sockets[name]}`;
    for (const name of ['auth', 'policy', 'admin', 'monitor']) {
      const ready = await fetch(`${url(name)}/ready`);
      expect(ready.status, `${name}: ${await ready.clone().text()}`).toBe(200);
    }
    const registered = await fetch(`${url('auth')}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'roles', grant_types: ['client_credentials'], scope: 'read' }),
    });
    expect(registered.status).toBe(201);
    const client = (await registered.json()) as { client_id: string; client_secret: string };
    const basic = `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;
    const form = (path: string, body: Record<string, string>) =>
      fetch(`${url('auth')}${path}`, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(body),
      });
    const issued = await form('/oauth/token', { grant_type: 'client_credentials', scope: 'read' });
    expect(issued.status).toBe(200);
    const { access_token } = (await issued.json()) as { access_token: string };
    expect((await (await form('/oauth/introspect', { token: access_token })).json()) as object).toMatchObject({
      active: true,
    });
    expect((await form('/oauth/revoke', { token: access_token })).status).toBe(200);
    expect((await (await form('/oauth/introspect', { token: access_token })).json()) as object).toEqual({
      active: false,
    });
    const admin = { authorization: `Bearer ${bootstrap}`, 'content-type': 'application/json' };
    const rotated = await fetch(`${url('auth')}/admin/keys/rotate`, {
      method: 'POST',
      headers: { authorization: admin.authorization },
    });
    expect(rotated.status, await rotated.clone().text()).toBe(200);
    const policies = readFileSync(join(ROOT, 'workers', 'policy', 'policies', 'default.cedar'), 'utf8');
    const published = await fetch(`${url('policy')}/v1/policies/versions`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ policies, comment: 'as the app role' }),
    });
    expect(published.status, await published.clone().text()).toBe(201);
    const { version } = (await published.json()) as { version: number };
    const activated = await fetch(`${url('policy')}/v1/policies/versions/${version}/activate`, {
      method: 'POST',
      headers: admin,
    });
    expect(activated.status, await activated.clone().text()).toBe(200);
  }, 60_000);
});
