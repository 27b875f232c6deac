/**
 * Postgres down under the monitor: the consumer's batches fail (their transaction never commits), the entries stay
 * pending for the consumer that read them, and once Postgres is back they are processed in full at the next tick
 * (XREADGROUP `0`: the consumer's own pending entries), not only after MONITOR_CLAIM_IDLE_MS (60 s by default,
 * left so here) when XAUTOCLAIM would take them over. Nothing lost, nothing counted twice.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toStreamFields } from '../../shared/events/event.js';
import { platformConfigPath, platformSockets, startWorkerd } from '../../scripts/lib/platform.mjs';
import { startTestDataPlane, type TestDataPlane } from './harness.js';
import { machineDatabaseUrl, TcpForwarder } from './security-helpers.js';
import { eventually, sleep } from './token-helpers.js';

let forwarder: TcpForwarder;
let dp: TestDataPlane;
let tmp: string;
let workerd: Awaited<ReturnType<typeof startWorkerd>>;
let redis: Redis;

/** Counts rows on the machine's Postgres directly (not through the forwarder the test cuts). */
function sql(query: string): string {
  const machine = new URL(machineDatabaseUrl());
  const db = new URL(dp.databaseUrl).pathname.slice(1);
  return execFileSync(
    'psql',
    [
      '-h',
      machine.hostname,
      '-p',
      machine.port || '5432',
      '-U',
      machine.username || 'postgres',
      '-d',
      db,
      '-Atc',
      query,
    ],
    { encoding: 'utf8' },
  ).trim();
}

beforeAll(async () => {
  const machine = new URL(machineDatabaseUrl());
  forwarder = new TcpForwarder(machine.hostname, Number(machine.port || 5432));
  const port = await forwarder.start();
  const via = new URL(machine);
  via.hostname = '127.0.0.1';
  via.port = String(port);
  dp = await startTestDataPlane({ adminDatabaseUrl: via.toString() });
  tmp = mkdtempSync(join(tmpdir(), 'monitor-outage-'));
  workerd = await startWorkerd({
    config: platformConfigPath(),
    sockets: () => platformSockets(),
    env: { ...dp.env, MONITOR_TICK_MS: '50', MONITOR_IDLE_TICK_MS: '100' },
    doStorageDir: tmp,
  });
  redis = new Redis(dp.redisUrl);
}, 120_000);

afterAll(async () => {
  await forwarder?.restore();
  redis?.disconnect();
  await workerd?.stop('SIGKILL').catch(() => {});
  await dp?.stop();
  await forwarder?.cut();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function reuse(family: string): Record<string, string> {
  return toStreamFields({
    event_id: randomUUID(),
    time: new Date().toISOString(),
    type: 'refresh_token.reused' as never,
    outcome: 'failure',
    service: 'auth',
    details: { family_id: family },
  });
}

describe('monitor with Postgres down', () => {
  it('keeps what it read pending and processes it in full as soon as Postgres is back', async () => {
    const stream = `${dp.redisPrefix}security-events`;
    // Running: one event goes through.
    const first = reuse('outage-before');
    await redis.xadd(stream, '*', ...Object.entries(first).flat());
    expect(await eventually(async () => sql(`SELECT count(*) FROM alerts`) === '1', 30_000)).toBe(true);

    await forwarder.cut();
    const during = Array.from({ length: 20 }, (_, i) => reuse(`outage-${i}`));
    for (const f of during) await redis.xadd(stream, '*', ...Object.entries(f).flat());
    // The consumer reads them and fails to commit: they are pending, and nothing reached Postgres.
    const pending = await eventually(async () => {
      const summary = (await redis.xpending(stream, 'monitor')) as [number];
      return summary[0] === during.length ? summary[0] : null;
    }, 20_000);
    expect(pending).toBe(during.length);
    await sleep(1000);
    expect(sql(`SELECT count(*) FROM security_events`)).toBe('1');

    await forwarder.restore();
    const restoredAt = Date.now();
    const done = await eventually(async () => sql(`SELECT count(*) FROM alerts`) === String(1 + during.length), 30_000);
    expect(done).toBe(true);
    // Well before the 60 s claim idle time: the consumer retried its own pending entries.
    expect(Date.now() - restoredAt).toBeLessThan(30_000);
    expect(sql(`SELECT count(*) FROM security_events`)).toBe(String(1 + during.length));
    expect(sql(`SELECT count(*) FROM alerts WHERE count <> 1`)).toBe('0');
    // Acknowledged after the commit (consume.ts: commit, then XACK), so psql can see the rows a moment before the
    // consumer has heard back from Postgres and sent the XACK: wait for it, briefly.
    const pendingAfter = async () => ((await redis.xpending(stream, 'monitor')) as [number])[0];
    const acknowledged = await eventually(async () => (await pendingAfter()) === 0, 10_000);
    expect(acknowledged, `${await pendingAfter()} entries still pending`).toBe(true);
  }, 120_000);
});
