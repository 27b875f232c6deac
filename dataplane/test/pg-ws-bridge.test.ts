import { createHash } from 'node:crypto';
import { Pool } from '@neondatabase/serverless';
import { count, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/neon-serverless';
import { integer, pgTable, serial, text } from 'drizzle-orm/pg-core';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PgBridge, startPgBridge } from '../src/pg-ws-bridge.js';
import {
  DATABASE_URL,
  closeCodeIn,
  openRawPgSession,
  pgAddress,
  randomId,
  rawUpgrade,
  useBridge,
  waitFor,
} from './helpers.js';

const CLOSED_PORT = '127.0.0.1:1'; // allowed, but nothing listens there

describe('pg WebSocket bridge', () => {
  let bridge: PgBridge;
  let pool: Pool;
  const logs: Record<string, unknown>[] = [];

  beforeAll(async () => {
    bridge = await startPgBridge({
      allow: [pgAddress(DATABASE_URL), CLOSED_PORT],
      // Small, so that large results and parameters exercise pause/resume both ways.
      maxBufferedBytes: 64 * 1024,
      log: (e) => logs.push(e),
    });
    useBridge(bridge.url);
    pool = new Pool({ connectionString: DATABASE_URL, max: 4 });
    pool.on('error', () => {});
  });

  afterAll(async () => {
    await pool?.end().catch(() => {});
    await bridge?.close();
  });

  it('answers GET /health', async () => {
    const res = await fetch(`http://127.0.0.1:${bridge.port}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('runs queries for the Neon driver, including concurrent and large ones', async () => {
    const one = await pool.query('select 1 as one');
    expect(one.rows).toEqual([{ one: 1 }]);

    const params = await pool.query('select $1::int + 1 as n, $2::text as t', [41, 'héllo ✓']);
    expect(params.rows[0]).toEqual({ n: 42, t: 'héllo ✓' });

    const concurrent = await Promise.all(
      Array.from({ length: 12 }, (_, i) => pool.query('select $1::int * 2 as v', [i])),
    );
    expect(concurrent.map((r) => r.rows[0].v)).toEqual(Array.from({ length: 12 }, (_, i) => i * 2));

    // 3 MB up (client → Postgres) and 5 MB down, far above maxBufferedBytes.
    const big = 'x'.repeat(3 * 1024 * 1024);
    const up = await pool.query('select md5($1) as h, length($1) as n', [big]);
    expect(up.rows[0]).toEqual({ h: createHash('md5').update(big).digest('hex'), n: big.length });
    const down = await pool.query("select repeat('ab', 2621440) as s");
    expect(down.rows[0].s.length).toBe(5 * 1024 * 1024);
  });

  it('runs a drizzle transaction (commit and rollback) through the bridge', async () => {
    const tableName = `dp_test_${randomId()}`;
    const items = pgTable(tableName, {
      id: serial('id').primaryKey(),
      name: text('name').notNull(),
      qty: integer('qty').notNull(),
    });
    const db = drizzle({ client: pool });
    await pool.query(`create table ${tableName} (id serial primary key, name text not null, qty integer not null)`);
    try {
      await db.transaction(async (tx) => {
        await tx.insert(items).values([
          { name: 'a', qty: 1 },
          { name: 'b', qty: 2 },
        ]);
        await tx.update(items).set({ qty: 5 }).where(eq(items.name, 'b'));
      });
      await expect(
        db.transaction(async (tx) => {
          await tx.insert(items).values({ name: 'c', qty: 3 });
          throw new Error('roll me back');
        }),
      ).rejects.toThrow('roll me back');

      const rows = await db.select({ name: items.name, qty: items.qty }).from(items).orderBy(items.name);
      expect(rows).toEqual([
        { name: 'a', qty: 1 },
        { name: 'b', qty: 5 },
      ]);
      const [{ n }] = (await db.select({ n: count() }).from(items)) as [{ n: number }];
      expect(n).toBe(2);
    } finally {
      await pool.query(`drop table if exists ${tableName}`);
    }
  });

  it('closes the WebSocket when Postgres closes the connection (pool.end)', async () => {
    const before = bridge.stats().active;
    const own = new Pool({ connectionString: DATABASE_URL, max: 2 });
    await Promise.all([own.query('select 1'), own.query('select 2')]);
    expect(bridge.stats().active).toBeGreaterThan(before);
    await own.end();
    await waitFor(() => bridge.stats().active === before, 3000, 'bridged connections to close');
  });

  it('refuses addresses that are not allowed, before the upgrade', async () => {
    const refusedBefore = bridge.stats().refused;
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://${bridge.url}?address=127.0.0.1:6379`);
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('open', () => reject(new Error('upgrade should have been refused')));
      ws.on('error', () => {});
    });
    expect(status).toBe(403);

    await expect(rawUpgrade(bridge.port, '/v2?address=nonsense')).rejects.toThrow('HTTP/1.1 400');
    await expect(rawUpgrade(bridge.port, '/elsewhere?address=127.0.0.1:5432')).rejects.toThrow('HTTP/1.1 404');

    // The same refusal seen from the Neon driver.
    const other = new Pool({ connectionString: 'postgres://postgres@127.0.0.1:6379/postgres', max: 1 });
    other.on('error', () => {});
    await expect(other.query('select 1')).rejects.toThrow();
    await other.end().catch(() => {});
    expect(bridge.stats().refused).toBeGreaterThanOrEqual(refusedBefore + 4);
  });

  it('closes with 1014 when the allowed TCP address refuses the connection', async () => {
    const failuresBefore = bridge.stats().upstreamFailures;
    const code = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://${bridge.url}?address=${CLOSED_PORT}`);
      ws.on('close', (c) => resolve(c));
      ws.on('error', () => {});
    });
    expect(code).toBe(1014);
    expect(bridge.stats().upstreamFailures).toBe(failuresBefore + 1);
    expect((await pool.query('select 7 as v')).rows[0].v).toBe(7);
  });

  it('survives a client that disconnects mid-query while others keep working', async () => {
    const before = bridge.stats().active;
    const session = await openRawPgSession(`ws://${bridge.url}?address=${pgAddress(DATABASE_URL)}`);
    expect(bridge.stats().active).toBe(before + 1);
    session.sendQuery('select pg_sleep(2)');
    await new Promise((r) => setTimeout(r, 150));
    session.ws.terminate(); // vanish without a close frame, as a crashed client would

    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => pool.query('select $1::int as i', [i])));
    expect(results.map((r) => r.rows[0].i)).toEqual([0, 1, 2, 3, 4]);
    await waitFor(() => bridge.stats().active === before, 2000, 'the abandoned connection to be released');
  });

  it('closes only the offending connection on malformed frames', async () => {
    const address = pgAddress(DATABASE_URL);
    const errorsBefore = bridge.stats().protocolErrors;

    // 1. A client frame without the mask bit (clients must mask every frame).
    const unmasked = await rawUpgrade(bridge.port, `/v2?address=${address}`);
    unmasked.socket.write(Buffer.from([0x82, 0x03, 0x61, 0x62, 0x63]));
    await unmasked.closed;
    expect(closeCodeIn(unmasked.received())).toBe(1002);

    // 2. A masked frame with reserved bits set (no extension was negotiated).
    const reserved = await rawUpgrade(bridge.port, `/v2?address=${address}`);
    reserved.socket.write(Buffer.from([0xf2, 0x83, 1, 2, 3, 4, 0x60, 0x60, 0x60]));
    await reserved.closed;
    expect(closeCodeIn(reserved.received())).toBe(1002);

    // 3. Garbage bytes: an unknown opcode.
    const garbage = await rawUpgrade(bridge.port, `/v2?address=${address}`);
    garbage.socket.write(Buffer.from([0x83, 0x80, 0, 0, 0, 0]));
    await garbage.closed;
    expect(closeCodeIn(garbage.received())).toBe(1002);

    expect(bridge.stats().protocolErrors).toBe(errorsBefore + 3);
    const r = await pool.query('select 3 as v');
    expect(r.rows[0].v).toBe(3);
  });

  it('answers plain HTTP on the WebSocket path with 426 and unknown paths with 404', async () => {
    expect((await fetch(`http://127.0.0.1:${bridge.port}/v2?address=${pgAddress(DATABASE_URL)}`)).status).toBe(426);
    expect((await fetch(`http://127.0.0.1:${bridge.port}/nope`)).status).toBe(404);
  });

  it('close() ends open connections and stops accepting', async () => {
    const own = await startPgBridge({ allow: [pgAddress(DATABASE_URL)] });
    const session = await openRawPgSession(`ws://${own.url}?address=${pgAddress(DATABASE_URL)}`);
    const closeCode = new Promise<number>((resolve) => session.ws.on('close', (c) => resolve(c)));
    await own.close();
    expect(await closeCode).toBe(1001);
    expect(own.stats().active).toBe(0);
    await expect(fetch(`http://127.0.0.1:${own.port}/health`)).rejects.toThrow();
  });
});
