/**
 * Readiness under faults: with Redis stopped, every Worker's /ready answers 503 naming it; with Postgres stopped,
 * so do the policy, admin and monitor Workers, while the auth Worker, which issues tokens without Postgres once it
 * holds a signing key, stays ready and names Postgres as degraded. Each within 2 s of the Worker's /ready result
 * being due (a result is reused for READY_CACHE_MS, 1 s), while /health stays 200; once the server is back, /ready
 * recovers without restarting anything.
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
  migrate,
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

interface Ready {
  status: number;
  failed?: string[];
  degraded?: string[];
  components?: Record<string, { status: string }>;
  ms: number;
}

async function readyAll(): Promise<Ready[]> {
  return Promise.all(
    WORKERS.map(async (name) => {
      const started = Date.now();
      const res = await fetch(`http://${sockets[name]}/ready`);
      const body = (await res.json()) as Omit<Ready, 'status' | 'ms'>;
      return { ...body, status: res.status, ms: Date.now() - started };
    }),
  );
}

/** A /ready result is reused for READY_CACHE_MS (1 s): the fault shows once the cached result is due. */
const READY_CACHE_MS = 1_000;

/** Polls until every Worker's /ready shows the fault (`shows`), within READY_CACHE_MS plus the 2 s deadline. */
async function faultSeen(shows: (r: Ready, worker: string) => boolean): Promise<Ready[]> {
  let last: Ready[] = [];
  await eventually(async () => {
    last = await readyAll();
    return last.every((r, i) => shows(r, WORKERS[i] as string));
  }, READY_CACHE_MS + 2_000);
  return last;
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
  // The schema, so the auth Worker can create and load its signing key (readiness with Postgres down depends on it).
  await migrate(dp.databaseUrl, dp.pgProxy);
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
    const results = await faultSeen((r) => r.status === 503);
    for (const r of results) {
      expect(r.status).toBe(503);
      expect(r.failed).toEqual(['redis']);
      expect(r.ms).toBeLessThan(2000);
    }
    expect(await healthAll()).toEqual([200, 200, 200, 200]);
    redis = await startLocalRedis({ dataDir: join(dir, 'redis'), port: redisPort });
    await eventually(async () => (await readyAll()).every((r) => r.status === 200), 15_000);
  }, 30_000);

  it('names postgres within 2 s when Postgres stops (auth: degraded while it can sign), and recovers', async () => {
    // The auth Worker loads (creates) its signing key with the JWKS: from then on it can issue without Postgres.
    const jwks = await fetch(`http://${sockets.auth}/.well-known/jwks.json`);
    expect(jwks.status, await jwks.clone().text()).toBe(200);
    await pg.stop();
    const results = await faultSeen((r, worker) =>
      worker === 'auth' ? r.components?.postgres?.status === 'down' : r.status === 503,
    );
    results.forEach((r, i) => {
      if (WORKERS[i] === 'auth') {
        expect(r).toMatchObject({ status: 200, degraded: ['postgres'] });
      } else {
        expect(r.status).toBe(503);
        expect(r.failed).toEqual(['postgres']);
      }
      expect(r.ms).toBeLessThan(2000);
    });
    expect(await healthAll()).toEqual([200, 200, 200, 200]);
    pg = await startLocalPostgres({ dataDir: join(dir, 'pg'), port: pgPort });
    await eventually(async () => (await readyAll()).every((r) => r.status === 200), 15_000);
  }, 45_000);
});
