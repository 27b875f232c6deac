/**
 * Unauthenticated requests must not be able to exhaust Postgres, and losing Postgres must not take token issuance
 * out of the Service.
 *
 * - Random `Bearer` values on `/admin/*` are failed admin authentications: they are rate-limited per address (and
 *   unknown credential hashes cached as misses), so a flood from one address opens only a bounded number of
 *   Postgres sessions.
 * - `GET /ready` reuses a bounded result for at least a second instead of dialling Postgres on every call.
 * - The auth Worker's readiness does not fail on Postgres alone while tokens can still be issued: it answers 200
 *   and names the degraded component, keeping the per-dependency view.
 *
 * Sessions are counted honestly: `pg_stat_database.sessions` of the run's database, read over a connection to
 * another database. Postgres is reached through a TCP forwarder the test can cut, so "Postgres is down" is real
 * for the Workers while the machine's server keeps serving everyone else.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { machineDatabaseUrl, pooled, SessionCounter, TcpForwarder } from './security-helpers.js';
import { clientCredentials, register, startTokenPlatform, type TokenPlatform } from './token-helpers.js';

let forwarder: TcpForwarder;
let adminUrl: string;
let tp: TokenPlatform;
let sessions: SessionCounter;

beforeAll(async () => {
  const machine = new URL(machineDatabaseUrl());
  forwarder = new TcpForwarder(machine.hostname, Number(machine.port || 5432));
  const port = await forwarder.start();
  const via = new URL(machine);
  via.hostname = '127.0.0.1';
  via.port = String(port);
  adminUrl = via.toString();
  // Sessions are counted per database: the monitor's audit-log writes (of the events the floods emit) would count
  // as the attacked Worker's. Its consumer has tests of its own.
  tp = await startTokenPlatform(
    { TRUST_PROXY_HEADERS: 'true', MONITOR_CONSUMER_ENABLED: 'false' },
    { adminDatabaseUrl: adminUrl },
  );
  sessions = await SessionCounter.open(tp.platform.pgProxy, tp.platform.databaseUrl, adminUrl);
}, 90_000);

afterAll(async () => {
  await forwarder?.restore();
  await sessions?.close();
  await tp?.stop();
  await forwarder?.cut();
});

describe('failed admin authentications', () => {
  const FLOOD = 200;

  /** Sends FLOOD admin requests with distinct random bearer tokens from one address; returns sessions opened. */
  async function flood(url: string, method: string) {
    const before = await sessions.settled();
    const statuses = await pooled(FLOOD, 8, async () => {
      const res = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${randomBytes(32).toString('base64url')}`,
          'x-forwarded-for': '198.51.100.66',
        },
      });
      await res.arrayBuffer();
      return res.status;
    });
    const opened = (await sessions.settled()) - before;
    const counts: Record<number, number> = {};
    for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
    return { opened, counts, statuses };
  }

  it('a flood of random bearer tokens on the auth admin API opens a bounded number of Postgres sessions', async () => {
    // Warm up (policy seeding, signing keys): only the flood is measured.
    const warm = await fetch(`${tp.platform.urls.auth}/admin/keys/maintain`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tp.adminToken}` },
    });
    expect(warm.status).toBe(200);
    const { opened, counts, statuses } = await flood(`${tp.platform.urls.auth}/admin/keys/rotate`, 'POST');
    expect(
      statuses.every((s) => s === 401 || s === 429),
      JSON.stringify(counts),
    ).toBe(true);
    expect(
      opened,
      `${FLOOD} unauthenticated requests opened ${opened} Postgres sessions (answers ${JSON.stringify(counts)})`,
    ).toBeLessThanOrEqual(30);
    expect(counts[429] ?? 0, 'the address is throttled after repeated failures').toBeGreaterThan(FLOOD / 2);
  }, 120_000);

  it('the same flood on the policy admin API is bounded too', async () => {
    const { opened, counts } = await flood(`${tp.platform.urls.policy}/v1/entities`, 'GET');
    expect(
      opened,
      `${FLOOD} unauthenticated requests opened ${opened} Postgres sessions (answers ${JSON.stringify(counts)})`,
    ).toBeLessThanOrEqual(30);
    expect(counts[429] ?? 0, 'the address is throttled after repeated failures').toBeGreaterThan(FLOOD / 2);
  }, 120_000);
});

describe('readiness', () => {
  it('GET /ready reuses its result for at least a second instead of dialling Postgres per call', async () => {
    const workers = ['auth', 'policy', 'admin', 'monitor'] as const;
    const CALLS = 40;
    const before = await sessions.settled();
    const started = Date.now();
    await pooled(CALLS * workers.length, 4, async (i) => {
      const res = await fetch(`${tp.platform.urls[workers[i % workers.length] as (typeof workers)[number]]}/ready`);
      await res.arrayBuffer();
    });
    const elapsedS = Math.ceil((Date.now() - started) / 1000);
    const opened = (await sessions.settled()) - before;
    // One dial per Worker per second at most, plus slack for the turn of each second and a cold start where
    // two calls of the same Worker find no result yet.
    const bound = workers.length * (elapsedS + 2);
    expect(
      opened,
      `${CALLS * workers.length} /ready calls over ${elapsedS} s opened ${opened} Postgres sessions (bound ${bound})`,
    ).toBeLessThanOrEqual(bound);
  }, 120_000);

  it("the auth Worker stays ready while Postgres is down and tokens can still be issued, naming what's degraded", async () => {
    const client = await register(tp, { scope: 'read' });
    await clientCredentials(tp, client);
    await forwarder.cut();
    try {
      // Tokens still come out: the client and the key are cached, issuing needs no Postgres.
      const { response } = await clientCredentials(tp, client);
      expect(response.status).toBe(200);
      // /ready reuses its last result for READY_CACHE_MS (the test above just filled it), so ask again until a
      // fresh check has run against the cut Postgres; a bounded wait, never an assumption about timing.
      let res: Response;
      let body: Record<string, any>;
      const deadline = Date.now() + 10_000;
      do {
        res = await fetch(`${tp.platform.urls.auth}/ready`);
        body = (await res.json()) as Record<string, any>;
        if (body.components?.postgres?.status === 'down') break;
        await new Promise((r) => setTimeout(r, 250));
      } while (Date.now() < deadline);
      expect(res.status, `auth /ready answered ${res.status} ${JSON.stringify(body)} while tokens are issued`).toBe(
        200,
      );
      expect(JSON.stringify(body)).toContain('postgres');
      expect(body.components?.postgres?.status, 'the per-dependency view still shows postgres down').toBe('down');
    } finally {
      await forwarder.restore();
    }
  }, 60_000);
});
