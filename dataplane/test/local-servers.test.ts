import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from '@neondatabase/serverless';
import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MissingBinaryError, startLocalPostgres, startLocalRedis } from '../src/local-servers.js';
import { startPgBridge } from '../src/pg-ws-bridge.js';
import { startRedisRestBridge } from '../src/redis-rest-bridge.js';
import { pgAddress, redisCommand, tempDir, useBridge, waitFor } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Runs `fn` with a Neon pool reaching `databaseUrl` through a fresh bridge. */
async function withPg<T>(databaseUrl: string, fn: (pool: Pool) => Promise<T>): Promise<T> {
  const bridge = await startPgBridge({ allow: [pgAddress(databaseUrl)] });
  useBridge(bridge.url);
  const pool = new Pool({ connectionString: databaseUrl, max: 1 });
  pool.on('error', () => {});
  try {
    return await fn(pool);
  } finally {
    await pool.end().catch(() => {});
    await bridge.close();
  }
}

function portIsClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', () => resolve(true));
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('private local servers', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    tmp = await tempDir();
  });
  afterAll(async () => {
    await tmp?.remove();
  });

  it('PostgreSQL: initdb on first start, data survives a restart and a stale postmaster.pid', async () => {
    // A not-yet-existing parent, like .data/ on a fresh checkout.
    const dataDir = path.join(tmp.dir, '.data', 'postgres');
    const logs: Record<string, unknown>[] = [];
    const first = await startLocalPostgres({ dataDir, log: (e) => logs.push(e) });
    expect(first.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    expect(logs.some((e) => e.msg === 'postgres cluster initialised')).toBe(true);
    await withPg(first.url, async (pool) => {
      await pool.query('create table kept (v text)');
      await pool.query("insert into kept values ('survives')");
    });
    await first.stop();
    expect(await portIsClosed(first.port)).toBe(true);

    // A killed run leaves postmaster.pid behind; its PID no longer exists.
    await writeFile(path.join(dataDir, 'postmaster.pid'), '999999\n/does/not/matter\n');
    logs.length = 0;
    const second = await startLocalPostgres({ dataDir, log: (e) => logs.push(e) });
    try {
      expect(logs.some((e) => e.msg === 'postgres cluster initialised')).toBe(false);
      const rows = await withPg(second.url, (pool) => pool.query('select v from kept'));
      expect(rows.rows).toEqual([{ v: 'survives' }]);
    } finally {
      await second.stop();
    }
  });

  it('Redis: data survives a restart (append-only file) and a stale pid file', async () => {
    const dataDir = path.join(tmp.dir, 'redis');
    const first = await startLocalRedis({ dataDir });
    expect(first.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(await redisCommand(first.url, ['SET', 'kept', 'survives'])).toBe('OK');
    await first.stop();
    expect(await portIsClosed(first.port)).toBe(true);

    // Stale pid file whose PID now belongs to an unrelated live process (this one).
    await writeFile(path.join(dataDir, 'redis-server.pid'), `${process.pid}\n`);
    const second = await startLocalRedis({ dataDir });
    await expect(startLocalRedis({ dataDir, startTimeoutMs: 1000 })).rejects.toThrow(/already running/);
    try {
      expect(await redisCommand(second.url, ['GET', 'kept'])).toBe('survives');
    } finally {
      await second.stop();
    }
  });

  it('MissingBinaryError names the package and the variable to use instead', async () => {
    const nowhere = { path: '/nonexistent', pgRoots: ['/nonexistent'] };
    const pg = startLocalPostgres({ dataDir: path.join(tmp.dir, 'pg-missing'), lookup: nowhere });
    await expect(pg).rejects.toBeInstanceOf(MissingBinaryError);
    await expect(pg).rejects.toThrow(/apt-get install -y postgresql\b.*DATABASE_URL/);
    await expect(
      startLocalPostgres({ dataDir: path.join(tmp.dir, 'pg-missing'), lookup: { pgBinDir: '/nonexistent/bin' } }),
    ).rejects.toBeInstanceOf(MissingBinaryError);
    const redis = startLocalRedis({ dataDir: path.join(tmp.dir, 'redis-missing'), lookup: nowhere });
    await expect(redis).rejects.toBeInstanceOf(MissingBinaryError);
    await expect(redis).rejects.toThrow(/apt-get install -y redis-server.*REDIS_URL/);
  });

  it('the REST bridge fails cleanly while Redis is down and recovers when it returns', async () => {
    const dataDir = path.join(tmp.dir, 'redis-outage');
    let server = await startLocalRedis({ dataDir });
    const token = 'outage-token-0123456789';
    const bridge = await startRedisRestBridge({
      redisUrl: server.url,
      clients: [{ name: 'outage-test', token, grant: { commands: ['GET', 'SET', 'INCR'], keys: ['*'] } }],
      keyPrefix: 'outage:',
      maxReconnectDelayMs: 100,
    });
    try {
      await bridge.waitUntilReady();
      const redis = new Redis({ url: bridge.url, token });
      expect(await redis.set('outage:k', 'before')).toBe('OK');

      await server.stop();
      await waitFor(async () => (await fetch(`${bridge.url}/health`)).status === 503, 3000, 'health to report 503');
      await expect(redis.get('outage:k')).rejects.toThrow(/Redis is unavailable/);
      const multi = redis.multi();
      multi.get('outage:k');
      await expect(multi.exec()).rejects.toThrow(/unavailable/);

      server = await startLocalRedis({ dataDir, port: server.port });
      await waitFor(async () => (await fetch(`${bridge.url}/health`)).status === 200, 5000, 'health to recover');
      expect(await redis.get('outage:k')).toBe('before');
      const again = redis.multi();
      again.incr('outage:n');
      again.get('outage:k');
      expect(await again.exec()).toEqual([1, 'before']);
    } finally {
      await bridge.close();
      await server.stop();
    }
  });

  it('a private server does not outlive a parent that is SIGKILLed', async () => {
    const dataDir = path.join(tmp.dir, 'redis-orphan');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(here, 'fixtures', 'orphan-redis.ts'), dataDir],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const firstLine = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(out.split('\n')[0] as string);
      });
      child.once('exit', (code) => reject(new Error(`fixture exited early (${code})`)));
    });
    const { url } = JSON.parse(firstLine) as { url: string };
    const redisPid = Number.parseInt(await readFile(path.join(dataDir, 'redis-server.pid'), 'utf8'), 10);
    expect(isAlive(redisPid)).toBe(true);

    child.kill('SIGKILL');
    await waitFor(() => !isAlive(redisPid), 5000, 'the orphaned redis-server to exit');
    expect(await portIsClosed(Number(new URL(url).port))).toBe(true);
  });
});
