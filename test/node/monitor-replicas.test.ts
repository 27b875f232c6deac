/**
 * Two monitor replicas on one stream, as on Kubernetes: two workerd processes (each with its own StreamConsumer
 * alarm loop, its own Durable Object storage and its own consumer name in the group) on one Postgres and one Redis.
 * The group spreads entries over both; their batches serialise on the group's state row, so the detectors' windows
 * see every event exactly once whichever replica read it: 150 accounts under brute force (12 failures each,
 * interleaved) give exactly 150 alerts with count 1. Per-replica windows would see about half of each account's
 * failures (6 < the 10 of the tier) and raise almost nothing.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toStreamFields } from '../../shared/events/event.js';
import { nodePool, platformConfigPath, platformSockets, startWorkerd } from '../../scripts/lib/platform.mjs';
import { startTestDataPlane, type TestDataPlane } from './harness.js';
import type { Pool } from './security-helpers.js';
import { eventually } from './token-helpers.js';

type Workerd = Awaited<ReturnType<typeof startWorkerd>>;

let dp: TestDataPlane;
let tmp: string;
let replicas: Workerd[] = [];
let redis: Redis;
let pool: Pool;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'monitor-replicas-'));
  dp = await startTestDataPlane();
  const start = (name: string) =>
    startWorkerd({
      config: platformConfigPath(),
      sockets: () => platformSockets(),
      env: {
        ...dp.env,
        MONITOR_CONSUMER: name,
        MONITOR_BATCH_SIZE: '50',
        MONITOR_TICK_MS: '20',
        MONITOR_IDLE_TICK_MS: '50',
      },
      doStorageDir: join(tmp, name),
    });
  replicas = await Promise.all([start('replica-a'), start('replica-b')]);
  redis = new Redis(dp.redisUrl);
  pool = await nodePool(dp.databaseUrl, dp.pgProxy);
}, 120_000);

afterAll(async () => {
  redis?.disconnect();
  await pool?.end().catch(() => {});
  for (const r of replicas) await r.stop('SIGKILL').catch(() => {});
  await dp?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const metric = async (w: Workerd, name: string) => {
  const text = await (await fetch(`http://${w.sockets.monitor}/metrics`)).text();
  return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
};

describe('monitor replicas', () => {
  it('two consumers in one group: every event once, detector windows shared, one alert per attacked account', async () => {
    const stream = `${dp.redisPrefix}security-events`;
    const accounts = 150;
    const ids: string[] = [];
    const pipe = redis.pipeline();
    for (let round = 0; round < 12; round++)
      for (let a = 0; a < accounts; a++) {
        const fields = toStreamFields({
          event_id: randomUUID(),
          time: new Date().toISOString(),
          type: 'user.login_failed',
          outcome: 'failure',
          service: 'auth',
          user_id: `replica-victim-${a}`,
          ip: `198.18.9.${(a % 200) + 1}`,
        });
        ids.push(fields.event_id as string);
        pipe.xadd(stream, '*', ...Object.entries(fields).flat());
      }
    await pipe.exec();
    const all = await eventually(async () => {
      const { rows } = await pool.query('SELECT count(*) AS n FROM security_events WHERE event_id = ANY($1)', [ids]);
      return Number(rows[0].n) === ids.length;
    }, 90_000);
    expect(all).toBe(true);
    // Both replicas took part.
    const [a, b] = replicas as [Workerd, Workerd];
    // A consumer adds to its counter at the end of a tick, after the rows are committed, so the
    // counters may trail the table by one tick: wait for them (bounded), then assert exactly.
    let entries: number[] = [];
    await eventually(async () => {
      entries = [await metric(a, 'monitor_stream_entries_total'), await metric(b, 'monitor_stream_entries_total')];
      return (entries[0] as number) + (entries[1] as number) >= ids.length;
    }, 15_000);
    console.log(`monitor replicas: entries consumed per replica ${entries.join(', ')}`);
    expect(entries[0]).toBeGreaterThan(0);
    expect(entries[1]).toBeGreaterThan(0);
    expect((entries[0] as number) + (entries[1] as number)).toBe(ids.length);
    const { rows } = await pool.query(
      `SELECT dedup_key, count(*) AS n, max(count) AS count FROM alerts
       WHERE dedup_key LIKE 'brute_force.account|user_id=replica-victim-%' GROUP BY dedup_key`,
    );
    expect(rows).toHaveLength(accounts);
    for (const row of rows) {
      expect(Number(row.n), row.dedup_key).toBe(1);
      expect(Number(row.count), row.dedup_key).toBe(1);
    }
  }, 180_000);
});
