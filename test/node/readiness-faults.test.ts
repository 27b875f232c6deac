/**
 * Issue 2 faults: with Redis (then Postgres) stopped, every Worker's /ready answers 503 naming it within 2 s while
 * /health stays 200; once the server is back, /ready recovers without restarting anything.
 *
 * Uses private servers (own data folders and ports) so stopping them never disturbs the machine's Postgres/Redis.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, startLocalPostgres, startLocalRedis } from '../../dataplane/src/index.js';
import {
  type DataPlane,
  freePort,
  platformConfigPath,
  platformSockets,
  startDataPlane,
  startWorkerd,
  type WorkerdProcess,
  workerEnv,
} from '../../scripts/lib/platform.mjs';

const WORKERS = ['auth', 'policy', 'admin', 'monitor'] as const;

let dir: string;
let pgPort: number;
let redisPort: number;
let pg: LocalServer;
let redis: LocalServer;
let dp: DataPlane;
let workerd: WorkerdProcess;
let sockets: Record<string, string>;

async function readyAll(): Promise<{ status: number; failed?: string[]; ms: number }[]> {
  return Promise.all(
    WORKERS.map(async (name) => {
      const started = Date.now();
      const res = await fetch(`http://${sockets[name]}/ready`);
      const body = (await res.json()) as { failed?: string[] };
      return { status: res.status, failed: body.failed, ms: Date.now() - started };
    }),
  );
}

async function healthAll(): Promise<number[]> {
  return Promise.all(WORKERS.map(async (name) => (await fetch(`http://${sockets[name]}/health`)).status));
}

async function eventually(fn: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'esp-faults-'));
  // The private Postgres runs as the postgres OS user when we are root: it must be able to enter the folder.
  chmodSync(dir, 0o755);
  [pgPort, redisPort] = [await freePort(), await freePort()];
  [pg, redis] = await Promise.all([
    startLocalPostgres({ dataDir: join(dir, 'pg'), port: pgPort }),
    startLocalRedis({ dataDir: join(dir, 'redis'), port: redisPort }),
  ]);
  dp = await startDataPlane({ databaseUrl: pg.url, redisUrl: redis.url });
  workerd = await startWorkerd({
    config: platformConfigPath(),
    sockets: () => platformSockets(),
    env: workerEnv(dp, {
      ENVIRONMENT: 'test',
      LOG_REQUESTS: 'false',
      // The auth Worker's own required settings: /ready checks each Worker's configuration too.
      ISSUER: 'http://127.0.0.1:8080',
      KEY_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'),
    }),
    doStorageDir: join(dir, 'do'),
  });
  sockets = workerd.sockets;
}, 90_000);

afterAll(async () => {
  await workerd?.stop();
  await dp?.stop();
  await Promise.all([pg?.stop(), redis?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('readiness under data-plane faults', () => {
  it('is ready on every Worker when both servers are up', async () => {
    for (const r of await readyAll()) expect(r.status).toBe(200);
  });

  it('names redis within 2 s when Redis stops, and recovers when it is back', async () => {
    await redis.stop();
    const results = await readyAll();
    for (const r of results) {
      expect(r.status).toBe(503);
      expect(r.failed).toEqual(['redis']);
      expect(r.ms).toBeLessThan(2000);
    }
    expect(await healthAll()).toEqual([200, 200, 200, 200]);
    redis = await startLocalRedis({ dataDir: join(dir, 'redis'), port: redisPort });
    await eventually(async () => (await readyAll()).every((r) => r.status === 200), 15_000);
  }, 30_000);

  it('names postgres within 2 s when Postgres stops, and recovers when it is back', async () => {
    await pg.stop();
    const results = await readyAll();
    for (const r of results) {
      expect(r.status).toBe(503);
      expect(r.failed).toEqual(['postgres']);
      expect(r.ms).toBeLessThan(2000);
    }
    expect(await healthAll()).toEqual([200, 200, 200, 200]);
    pg = await startLocalPostgres({ dataDir: join(dir, 'pg'), port: pgPort });
    await eventually(async () => (await readyAll()).every((r) => r.status === 200), 15_000);
  }, 45_000);
});
