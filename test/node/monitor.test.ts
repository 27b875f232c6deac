/**
 * The monitor Worker end to end: real workerd (its StreamConsumer alarm loop drives consumption), the real Redis
 * stream `security-events` (through the bridge, with the monitor's own grant), real Postgres (audit log, alerts,
 * webhook deliveries), and the monitor API authorized by the real policy Worker.
 *
 * - the platform's own endpoints under attack: wrong client secrets in a loop against auth's /oauth/token raise a
 *   client secret guessing alert; the same volume of correct requests raises none;
 * - generated traces: each detector fires on its attack and stays quiet on a benign trace of the same volume;
 * - crash recovery: workerd SIGKILLed mid-backlog and restarted: every event in the audit log once, no alert twice;
 * - webhooks: a receiver that fails then recovers gets every alert exactly once (after deduplication by
 *   webhook-id), every request validly signed, every attempt recorded; a receiver that never recovers ends in the
 *   dead-letter list with its circuit open.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EVENTS_FIELD,
  fromStreamEntry,
  type SecurityEvent,
  toStreamEntries,
  toStreamFields,
} from '../../shared/events/event.js';
import { nodePool } from '../../scripts/lib/platform.mjs';
import { adminCredential, type Pool } from './security-helpers.js';
import {
  basicHeader,
  eventually,
  postForm,
  register,
  sleep,
  startTokenPlatform,
  type TokenPlatform,
} from './token-helpers.js';

const MONITOR_ENV = {
  TRUST_PROXY_HEADERS: 'true',
  MONITOR_TICK_MS: '50',
  MONITOR_IDLE_TICK_MS: '100',
  MONITOR_CLAIM_IDLE_MS: '1000',
  MONITOR_BATCH_SIZE: '200',
  WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
  WEBHOOK_RETRY_BASE_MS: '100',
  WEBHOOK_MAX_ATTEMPTS: '4',
  WEBHOOK_BREAKER_FAILURES: '3',
  WEBHOOK_BREAKER_OPEN_MS: '300',
  WEBHOOK_BREAKER_MAX_OPEN_MS: '600',
  WEBHOOK_TIMEOUT_MS: '2000',
};

let tp: TokenPlatform;
let redis: Redis;
let stream: string;
let pool: Pool;

beforeAll(async () => {
  tp = await startTokenPlatform(MONITOR_ENV);
  redis = new Redis(tp.platform.redisUrl);
  stream = `${tp.platform.redisPrefix}security-events`;
  pool = await nodePool(tp.platform.databaseUrl, tp.platform.pgProxy);
}, 120_000);

afterAll(async () => {
  redis?.disconnect();
  await pool?.end().catch(() => {});
  await tp?.stop();
});

const monitor = () => tp.platform.urls.monitor;

async function api(path: string, init: RequestInit = {}) {
  const res = await fetch(`${monitor()}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${tp.adminToken}`, ...(init.headers as Record<string, string>) },
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
}

interface AlertJson {
  id: string;
  detector: string;
  kind: string;
  severity: string;
  status: string;
  subject: Record<string, string>;
  count: number;
  event_ids: string[];
  dedup_key: string;
}

async function alerts(query = ''): Promise<AlertJson[]> {
  const res = await api(`/admin/alerts?limit=500${query}`);
  expect(res.status).toBe(200);
  return res.json.alerts;
}

/** Events as the Workers write them (the shared schema's stream fields), with fresh ids, happening now. */
type Spec = Omit<Partial<SecurityEvent>, 'type'> & { type: string };
function entry(spec: Spec, at = Date.now()): Record<string, string> {
  const event = {
    event_id: randomUUID(),
    time: new Date(at).toISOString(),
    outcome: /failed|denied|exceeded|reused/.test(spec.type) ? 'failure' : 'success',
    service: 'auth',
    user_agent: 'trace/1.0',
    request_id: randomUUID(),
    ...spec,
  } as SecurityEvent;
  return toStreamFields(event);
}

async function xadd(entries: Record<string, string>[]): Promise<string[]> {
  const pipe = redis.pipeline();
  for (const fields of entries) pipe.xadd(stream, '*', ...Object.entries(fields).flat());
  await pipe.exec();
  return entries.map((e) => e.event_id as string);
}

/** As the Workers' sinks write them: a batch of events per entry, MAX_EVENTS_PER_ENTRY at most. */
async function xaddBatches(entries: Record<string, string>[]): Promise<string[]> {
  const events = entries.flatMap((fields) => fromStreamEntry(fields));
  const pipe = redis.pipeline();
  for (const { value } of toStreamEntries(events)) pipe.xadd(stream, '*', EVENTS_FIELD, value);
  await pipe.exec();
  return events.map((e) => e.event_id);
}

async function auditCount(ids: readonly string[]): Promise<number> {
  const [row] = await tp.sql<{ n: string }>('SELECT count(*) AS n FROM security_events WHERE event_id = ANY($1)', [
    ids,
  ]);
  return Number(row?.n);
}

async function consumed(ids: readonly string[], timeoutMs = 30_000): Promise<void> {
  const done = await eventually(async () => (await auditCount(ids)) === ids.length, timeoutMs, 100);
  expect(done, `${await auditCount(ids)} of ${ids.length} events reached the audit log`).toBe(true);
}

const ip = (a: number, b: number) => `198.18.${a}.${b}`;

describe('monitor: detection from the stream', () => {
  it('wrong client secrets in a loop against /oauth/token raise a client_secret_guessing alert; correct ones do not', async () => {
    const victim = await register(tp, { scope: 'read' });
    const token = `${tp.platform.urls.auth}/oauth/token`;
    // Benign: the same volume of correct requests, from the client's own address.
    for (let i = 0; i < 30; i++) {
      const res = await postForm(token, 'grant_type=client_credentials', {
        authorization: basicHeader(victim.client_id, victim.client_secret),
        'x-forwarded-for': '203.0.113.7',
      });
      expect(res.status).toBe(200);
    }
    const issued = await eventually(async () => {
      const res = await api(`/admin/events?client_id=${victim.client_id}&type=token.issued&limit=500`);
      return res.json.events.length === 30 ? res.json.events : null;
    }, 30_000);
    expect(issued?.length).toBe(30);
    await sleep(500);
    expect((await alerts()).filter((a) => a.subject.client_id === victim.client_id)).toEqual([]);

    // The attack: wrong secrets in a loop from another address.
    for (let i = 0; i < 30; i++) {
      const res = await postForm(token, 'grant_type=client_credentials', {
        authorization: basicHeader(victim.client_id, `wrong-${i}`),
        'x-forwarded-for': '192.0.2.66',
      });
      expect(res.status).toBe(401);
    }
    const raised = await eventually(async () => {
      const list = await alerts('&detector=client_secret_guessing');
      const mine = list.filter((a) => a.subject.client_id === victim.client_id);
      return mine.length > 0 ? mine : null;
    }, 30_000);
    expect(raised).toHaveLength(1);
    const alert = raised?.[0] as AlertJson;
    expect(alert).toMatchObject({ kind: 'client_secret_guessing.client', severity: 'medium', status: 'open' });
    // The triggering events are in the audit log, as the auth Worker wrote them.
    const failedEvents = await eventually(async () => {
      const res = await api(`/admin/events?client_id=${victim.client_id}&type=client.authentication_failed&limit=500`);
      return res.json.events.length === 30 ? res.json.events : null;
    }, 30_000);
    expect(failedEvents).toHaveLength(30);
    const failedIds = new Set(failedEvents.map((e: { event_id: string }) => e.event_id));
    expect(alert.event_ids.length).toBeGreaterThanOrEqual(10);
    for (const id of alert.event_ids) expect(failedIds.has(id)).toBe(true);
    expect(failedEvents[0]).toMatchObject({ ip: '192.0.2.66', outcome: 'failure', service: 'auth' });
  }, 120_000);

  it('a rate-limit flood against /oauth/token raises a flood alert; the same volume within the limits does not', async () => {
    const token = `${tp.platform.urls.auth}/oauth/token`;
    const send = async (client: { client_id: string; client_secret: string }, from: string) =>
      (
        await postForm(token, 'grant_type=client_credentials', {
          authorization: basicHeader(client.client_id, client.client_secret),
          'x-forwarded-for': from,
        })
      ).status;
    const REQUESTS = 400;
    // Benign: 400 requests from eight clients at eight addresses, each inside its bucket (60, refilled at 10/s).
    const clients = await Promise.all(Array.from({ length: 8 }, () => register(tp, { scope: 'read' })));
    const benign: number[] = [];
    for (let i = 0; i < REQUESTS; i += 8)
      benign.push(...(await Promise.all(clients.map((c, j) => send(c, `203.0.113.${100 + j}`)))));
    expect(benign.filter((s) => s !== 200)).toEqual([]);
    // The flood: the same 400 requests from one client at one address, eight at a time.
    const flooder = clients[0] as { client_id: string; client_secret: string };
    const flood: number[] = [];
    for (let i = 0; i < REQUESTS; i += 8)
      flood.push(...(await Promise.all(Array.from({ length: 8 }, () => send(flooder, '192.0.2.99')))));
    expect(flood.filter((s) => s === 429).length).toBeGreaterThan(200);
    const fired = await eventually(async () => {
      const list = (await alerts('&detector=floods')).filter((a) => a.subject.ip === '192.0.2.99');
      return list.length > 0 ? list : null;
    }, 30_000);
    expect(fired?.map((a) => a.kind)).toEqual(['flood.rate_limit_address']);
    // Nothing for the benign addresses.
    const quiet = (await alerts('&detector=floods')).filter((a) => a.subject.ip?.startsWith('203.0.113.1'));
    expect(quiet).toEqual([]);
  }, 120_000);

  // Each case: an attack, and a benign trace of the same volume on other subjects.
  const cases: { detector: string; kind: string; attack: () => Spec[]; benign: () => Spec[] }[] = [
    {
      detector: 'brute_force',
      kind: 'brute_force.account',
      attack: () =>
        Array.from({ length: 12 }, () => ({ type: 'user.login_failed', user_id: 'bf-victim', ip: ip(1, 1) })),
      // Twelve people each mistyping once and then signing in.
      benign: () =>
        Array.from({ length: 6 }, (_, i) => [
          { type: 'user.login_failed', user_id: `bf-user-${i}`, ip: ip(1, 10 + i) },
          { type: 'user.login_succeeded', user_id: `bf-user-${i}`, ip: ip(1, 10 + i), outcome: 'success' as const },
        ]).flat(),
    },
    {
      detector: 'credential_stuffing',
      kind: 'credential_stuffing.address',
      attack: () =>
        Array.from({ length: 15 }, (_, i) => ({ type: 'user.login_failed', user_id: `cs-list-${i}`, ip: ip(2, 1) })),
      // An office behind one NAT address: fifteen people signing in, two mistyping first.
      benign: () =>
        Array.from({ length: 15 }, (_, i) => ({
          type: i < 2 ? 'user.login_failed' : 'user.login_succeeded',
          user_id: `cs-staff-${i}`,
          ip: ip(2, 2),
          outcome: i < 2 ? ('failure' as const) : ('success' as const),
        })),
    },
    {
      detector: 'token_reuse',
      kind: 'token_reuse.refresh_token',
      attack: () => [
        { type: 'refresh_token.reused', client_id: 'tr-client', details: { family_id: 'fam-1', generation: 3 } },
      ],
      benign: () => [{ type: 'token.issued', client_id: 'tr-client-2', outcome: 'success' as const }],
    },
    {
      detector: 'admin_anomalies',
      kind: 'admin.emergency_key_rotation',
      attack: () => [
        { type: 'key.rotated', outcome: 'success' as const, details: { trigger: 'admin_immediate', admin: 'alice' } },
      ],
      benign: () => [{ type: 'key.rotated', outcome: 'success' as const, details: { trigger: 'cron' } }],
    },
    {
      detector: 'floods',
      kind: 'flood.rate_limit_address',
      // Sampled refusals: each event stands for itself and the ones folded into it.
      attack: () =>
        Array.from({ length: 5 }, () => ({
          type: 'rate_limit.exceeded',
          ip: ip(5, 1),
          details: { endpoint: 'token', suppressed: 40 },
        })),
      benign: () =>
        Array.from({ length: 5 }, (_, i) => ({
          type: 'rate_limit.exceeded',
          ip: ip(5, 10 + i),
          details: { endpoint: 'token', suppressed: 0 },
        })),
    },
  ];

  for (const c of cases) {
    it(`${c.detector}: fires on its attack, quiet on a benign trace of the same volume`, async () => {
      const benign = c.benign();
      const attack = c.attack();
      expect(benign.length).toBe(attack.length);
      // Alerts are told apart by the events behind them (other tests raise alerts of the same detectors).
      const behind = async (ids: string[]) =>
        (await alerts(`&detector=${c.detector}`)).filter((a) => a.event_ids.some((id) => ids.includes(id)));
      const benignIds = await xadd(benign.map((s) => entry(s)));
      await consumed(benignIds);
      await sleep(300);
      expect((await behind(benignIds)).map((a) => a.kind)).toEqual([]);
      const attackIds = await xadd(attack.map((s) => entry(s)));
      await consumed(attackIds);
      const fired = await eventually(async () => {
        const list = await behind(attackIds);
        return list.length > 0 ? list : null;
      }, 10_000);
      expect(fired?.map((a) => a.kind)).toEqual([c.kind]);
      expect(await behind(benignIds)).toEqual([]);
    }, 60_000);
  }

  it('impossible travel says it is off where no location is available', async () => {
    const status = await api('/admin/monitor/status');
    expect(status.status).toBe(200);
    expect(status.json.detectors.impossible_travel).toMatchObject({ active: false });
    expect(status.json.detectors.brute_force).toMatchObject({ active: true });
    expect(typeof status.json.consumer.lag).toBe('number');
    // The consumer lag is a metric too (set by the consumer's tick; no METRICS_TOKEN in tests).
    const metrics = await (await fetch(`${monitor()}/metrics`)).text();
    expect(metrics).toMatch(/^monitor_consumer_lag(\{[^}]*\})? \d+$/m);
    expect(metrics).toMatch(/^monitor_events_processed_total(\{[^}]*\})? [1-9]\d*$/m);
  });
});

describe('monitor: crash recovery', () => {
  it('workerd SIGKILLed mid-backlog and restarted: every event processed once, no alert duplicated', async () => {
    // 150 accounts under brute force (12 failures each), interleaved: 1,800 events, one alert per account. Written
    // as the sinks write them, 64 events per entry: each read holds more events than one batch (MONITOR_BATCH_SIZE
    // 200), so a read is processed in several transactions, and the kill can land between two of them.
    const accounts = 150;
    const specs: Spec[] = [];
    for (let round = 0; round < 12; round++)
      for (let a = 0; a < accounts; a++)
        specs.push({ type: 'user.login_failed', user_id: `crash-${a}`, ip: ip(7, (a % 200) + 1) });
    const ids = await xaddBatches(specs.map((s) => entry(s)));
    // Kill it mid-batch: as soon as the group has entries delivered but not acknowledged (a batch read, its
    // transaction running or committed, its XACK not sent). A kill that lands between batches is retried.
    const pendingNow = async () => ((await redis.xpending(stream, 'monitor')) as [number])[0];
    let pendingAtKill = 0;
    let atKill = 0;
    for (let kill = 0; kill < 6 && pendingAtKill === 0; kill++) {
      if (kill > 0) await tp.platform.restartWorkerd();
      const deadline = Date.now() + 30_000;
      while ((await pendingNow()) === 0 && Date.now() < deadline) await sleep(1);
      await tp.platform.killWorkerd();
      pendingAtKill = await pendingNow();
      atKill = await auditCount(ids);
    }
    console.log(
      `crash test: ${atKill} of ${ids.length} events committed, ${pendingAtKill} entries pending at the kill`,
    );
    expect(pendingAtKill, 'the kill came while a batch was in flight').toBeGreaterThan(0);
    expect(atKill, 'the kill came before the end of the backlog').toBeLessThan(ids.length);
    await tp.platform.restartWorkerd();
    // The restarted process's alarm fires on its own; its consumer (a new name) XAUTOCLAIMs what the dead one held.
    await consumed(ids, 60_000);
    const rows = await tp.sql<{ event_id: string; n: string }>(
      'SELECT event_id, count(*) AS n FROM security_events WHERE event_id = ANY($1) GROUP BY event_id',
      [ids],
    );
    expect(rows).toHaveLength(ids.length);
    const byKey = await tp.sql<{ dedup_key: string; n: string; count: number }>(
      `SELECT dedup_key, count(*) AS n, max(count) AS count FROM alerts WHERE dedup_key LIKE 'brute_force.account|user_id=crash-%'
       GROUP BY dedup_key`,
    );
    expect(byKey).toHaveLength(accounts);
    for (const row of byKey) {
      expect(Number(row.n), row.dedup_key).toBe(1);
      // 12 failures cross the 10-failure tier once: a replayed event would have fired again or raised the count.
      expect(Number(row.count), row.dedup_key).toBe(1);
    }
    // Nothing left pending in the group.
    const pending = (await redis.xpending(stream, 'monitor')) as [number, ...unknown[]];
    expect(pending[0]).toBe(0);

    // A redelivery of an event already processed (what a consumer killed between its commit and its XACK leaves
    // behind: same event id, delivered again) is acknowledged without being counted again. Token reuse fires on
    // every event it sees, so a second processing would show as count 2.
    const reuse = entry({ type: 'refresh_token.reused', client_id: 'replay', details: { family_id: 'replay-1' } });
    await xadd([reuse]);
    await consumed([reuse.event_id as string]);
    const countOf = async () =>
      (await tp.sql<{ count: number }>(`SELECT count FROM alerts WHERE dedup_key LIKE '%family_id=replay-1'`)).map(
        (r) => Number(r.count),
      );
    expect(await eventually(async () => ((await countOf()).length === 1 ? countOf() : null), 10_000)).toEqual([1]);
    await xadd([reuse, reuse]);
    const drained = await eventually(async () => {
      const [group] = (await redis.xinfo('GROUPS', stream)) as unknown[][];
      const info = Object.fromEntries(
        Array.from({ length: (group?.length ?? 0) / 2 }, (_, i) => [group?.[2 * i], group?.[2 * i + 1]]),
      );
      return info.lag === 0 && info.pending === 0;
    }, 10_000);
    expect(drained).toBe(true);
    expect(await countOf()).toEqual([1]);
    expect(await auditCount([reuse.event_id as string])).toBe(1);
  }, 180_000);
});

interface Received {
  id: string;
  type: string;
  alertId: string;
  status: number;
  valid: boolean;
}

async function receiver(answer: (n: number) => number): Promise<{ server: Server; url: string; got: Received[] }> {
  const got: Received[] = [];
  let secret = '';
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let valid = false;
      try {
        new Webhook(secret).verify(body, req.headers as Record<string, string>);
        valid = true;
      } catch {
        valid = false;
      }
      const status = answer(got.length);
      const parsed = JSON.parse(body);
      got.push({
        id: String(req.headers['webhook-id']),
        type: parsed.type,
        alertId: parsed.data.id,
        status,
        valid,
      });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return Object.assign({ server, url, got }, { setSecret: (s: string) => (secret = s) }) as never;
}

describe('monitor: webhooks', () => {
  it('a receiver that fails then recovers gets every alert once; one that never recovers: dead letters, circuit open', async () => {
    // Fails its first 4 requests (enough to open the circuit), then accepts.
    const flaky = (await receiver((n) => (n < 4 ? 503 : 204))) as Awaited<ReturnType<typeof receiver>> & {
      setSecret(s: string): void;
    };
    const dead = (await receiver(() => 500)) as typeof flaky;
    try {
      const created: { id: string; secret: string }[] = [];
      const endpointOf = (i: number) => (created[i] as { id: string }).id;
      for (const r of [flaky, dead]) {
        const res = await api('/admin/webhooks', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ url: r.url, types: ['alert.created'] }),
        });
        expect(res.status).toBe(201);
        expect(res.json.secret).toMatch(/^whsec_/);
        r.setSecret(res.json.secret);
        created.push(res.json);
      }
      // Stored sealed: the secret is not in the database.
      const stored = await tp.sql<{ secrets: string[] }>('SELECT secrets FROM webhook_endpoints');
      for (const row of stored) for (const s of row.secrets) expect(s).toMatch(/^v1\./);
      for (const e of created) expect(JSON.stringify(stored)).not.toContain(e.secret.slice(6));

      // Three new alerts (token reuse fires on first sight).
      const ids = await xadd(
        [1, 2, 3].map((i) =>
          entry({ type: 'refresh_token.reused', client_id: `wh-client-${i}`, details: { family_id: `wh-${i}` } }),
        ),
      );
      await consumed(ids);
      const newAlerts = (await alerts('&detector=token_reuse')).filter((a) => a.subject.family_id?.startsWith('wh-'));
      expect(newAlerts).toHaveLength(3);

      const delivered = await eventually(async () => {
        const ok = new Set(flaky.got.filter((g) => g.status === 204).map((g) => g.id));
        return ok.size === 3 ? ok : null;
      }, 60_000);
      expect(delivered?.size).toBe(3);
      expect(flaky.got.filter((g) => g.status === 503).length).toBe(4);
      expect(flaky.got.every((g) => g.valid)).toBe(true);
      // Every alert exactly once after deduplication by webhook-id.
      const byAlert = new Map<string, Set<string>>();
      for (const g of flaky.got) byAlert.set(g.alertId, (byAlert.get(g.alertId) ?? new Set()).add(g.id));
      expect([...byAlert.keys()].sort()).toEqual(newAlerts.map((a) => a.id).sort());
      for (const msgIds of byAlert.values()) expect(msgIds.size).toBe(1);

      // The dead receiver: every delivery dead-lettered after its attempts, the circuit open.
      const deadLetters = await eventually(async () => {
        const res = await api('/admin/webhooks/dead-letters');
        const mine = res.json.dead_letters.filter((d: { endpoint_id: string }) => d.endpoint_id === endpointOf(1));
        return mine.length === 3 ? mine : null;
      }, 90_000);
      expect(deadLetters).toHaveLength(3);
      for (const d of deadLetters)
        expect(d).toMatchObject({ status: 'dead', dead_reason: 'max_attempts', attempts: 4 });
      expect(dead.got.every((g) => g.valid)).toBe(true);
      const endpoint = await api(`/admin/webhooks/${endpointOf(1)}`);
      expect(endpoint.json.circuit.state).toBe('open');

      // Every attempt recorded: one row per request each receiver saw.
      const [attempts] = await tp.sql<{ flaky: string; dead: string }>(
        `SELECT count(*) FILTER (WHERE endpoint_id = $1) AS flaky, count(*) FILTER (WHERE endpoint_id = $2) AS dead
         FROM webhook_attempts`,
        [endpointOf(0), endpointOf(1)],
      );
      expect(Number(attempts?.flaky)).toBe(flaky.got.length);
      expect(Number(attempts?.dead)).toBe(dead.got.length);
      const detail = await api(`/admin/webhooks/deliveries/${deadLetters[0].id}`);
      expect(detail.json.attempts.map((a: { outcome: string; status: number }) => [a.outcome, a.status])).toEqual(
        Array(4).fill(['http_error', 500]),
      );
      // A dead letter can be replayed once: same message, a fresh budget of attempts.
      const replay = await api(`/admin/webhooks/deliveries/${deadLetters[0].id}/replay`, { method: 'POST' });
      expect(replay.status).toBe(200);
      expect(replay.json).toMatchObject({ status: 'pending', attempts: 0, msg_id: deadLetters[0].msg_id });
      expect((await api(`/admin/webhooks/deliveries/${deadLetters[0].id}/replay`, { method: 'POST' })).status).toBe(
        409,
      );
    } finally {
      flaky.server.close();
      dead.server.close();
    }
  }, 180_000);
});

describe('monitor API', () => {
  it('authenticates, authorizes per action, and answers RFC 9457 problems', async () => {
    const anon = await fetch(`${monitor()}/admin/alerts`);
    expect(anon.status).toBe(401);
    expect(anon.headers.get('content-type')).toContain('application/problem+json');
    const bad = await api('/admin/alerts?status=bogus');
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ status: 400, parameter: 'status' });
    expect((await api('/admin/alerts?nope=1')).status).toBe(400);
    expect((await api('/admin/events?since=yesterday')).status).toBe(400);
    expect((await api(`/admin/alerts/${randomUUID()}`)).status).toBe(404);
    expect((await api('/admin/alerts/not-an-id')).status).toBe(404);
    const refused = await api('/admin/webhooks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'ftp://example.com/x' }),
    });
    expect(refused.status).toBe(400);

    // Acknowledge, then resolve; resolved is final.
    const [open] = await alerts('&status=open');
    expect(open).toBeDefined();
    const ack = await api(`/admin/alerts/${open?.id}/acknowledge`, { method: 'POST' });
    expect(ack.status).toBe(200);
    expect(ack.json).toMatchObject({ status: 'acknowledged', acknowledged_by: 'bootstrap' });
    const resolved = await api(`/admin/alerts/${open?.id}/resolve`, { method: 'POST' });
    expect(resolved.json).toMatchObject({ status: 'resolved', resolved_by: 'bootstrap' });
    const again = await api(`/admin/alerts/${open?.id}/acknowledge`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect((await alerts('&status=resolved')).map((a) => a.id)).toContain(open?.id);

    // A readonly admin may read alerts but not acknowledge them (the policy Worker decides, per action).
    const readonly = await adminCredential(pool, `ro-${randomUUID().slice(0, 8)}`, ['readonly']);
    const asReadonly = (path: string, init: RequestInit = {}) =>
      fetch(`${monitor()}${path}`, { ...init, headers: { authorization: `Bearer ${readonly}` } });
    expect((await asReadonly('/admin/alerts')).status).toBe(200);
    expect((await asReadonly('/admin/events')).status).toBe(200);
    const [another] = await alerts('&status=open');
    const denied = await asReadonly(`/admin/alerts/${another?.id}/acknowledge`, { method: 'POST' });
    expect(denied.status).toBe(403);
    expect((await asReadonly('/admin/webhooks', { method: 'POST' })).status).toBe(403);
  }, 60_000);
});
