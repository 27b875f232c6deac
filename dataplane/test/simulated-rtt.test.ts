// The bridges' benchmark-only distance: with a simulated RTT every round trip costs one RTT (half each way, so a
// pipeline costs one RTT, not one per message), a new connection pays its handshakes; without it, nothing waits.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PgBridge, startPgBridge } from '../src/pg-ws-bridge.js';
import { type RedisRestBridge, startRedisRestBridge } from '../src/redis-rest-bridge.js';
import { DATABASE_URL, openRawPgSession, pgAddress, REDIS_URL, randomId } from './helpers.js';

const RTT = 150;
// Timers fire at or after their time; on a busy shared machine they can be late, never early (1 ms rounding).
// LATE stays below one RTT, so the bounds still tell n round trips from n + 1; under load a timer was seen 58 ms late.
const EARLY = 2;
const LATE = RTT - 10;

const since = (start: number) => performance.now() - start;

async function pgRoundTrips(bridge: PgBridge) {
  let start = performance.now();
  const session = await openRawPgSession(`ws://127.0.0.1:${bridge.port}/v2?address=${pgAddress(DATABASE_URL)}`);
  const connect = since(start);
  try {
    start = performance.now();
    const ready = session.waitForMessage('Z');
    session.sendQuery('select 1');
    await ready;
    const query = since(start);
    // Three queries sent back to back: the link delays them, it does not serialise them.
    const all = [0, 1, 2].map(() => session.waitForMessage('Z'));
    start = performance.now();
    for (let i = 0; i < 3; i++) session.sendQuery(`select ${i}`);
    await Promise.all(all);
    const pipeline = since(start);
    return { connect, query, pipeline };
  } finally {
    session.ws.close();
  }
}

async function redisBridge(token: string, simulatedRttMs?: number) {
  const bridge = await startRedisRestBridge({
    redisUrl: REDIS_URL,
    clients: [{ name: 'test', token, grant: { commands: ['PING'], keys: [] } }],
    simulatedRttMs,
  });
  await bridge.waitUntilReady(5000);
  return bridge;
}

/** PING over `agent` (one keep-alive connection: fetch may open a second one for the next request). */
async function ping(bridge: RedisRestBridge, token: string, agent: http.Agent) {
  const start = performance.now();
  const body = await new Promise<string>((resolve, reject) => {
    const req = http.request(
      `${bridge.url}/`,
      { method: 'POST', agent, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve(text));
      },
    );
    req.on('error', reject);
    req.end('["PING"]');
  });
  expect(JSON.parse(body)).toEqual({ result: 'PONG' });
  return since(start);
}

describe('simulated data-plane RTT', () => {
  let near: PgBridge;
  let far: PgBridge;

  beforeAll(async () => {
    near = await startPgBridge({ allow: [pgAddress(DATABASE_URL)] });
    far = await startPgBridge({ allow: [pgAddress(DATABASE_URL)], simulatedRttMs: RTT });
  });
  afterAll(async () => {
    await near?.close();
    await far?.close();
  });

  it('costs the pg bridge one RTT per protocol round trip, two to open a connection', async () => {
    await pgRoundTrips(far); // the first Postgres connection of a process is slower for reasons of its own
    const t = await pgRoundTrips(far);
    expect(t.query).toBeGreaterThanOrEqual(RTT - EARLY);
    expect(t.query).toBeLessThan(RTT + LATE);
    expect(t.pipeline).toBeGreaterThanOrEqual(RTT - EARLY);
    expect(t.pipeline).toBeLessThan(RTT + LATE);
    // Handshake and upgrade (2 RTT), then the startup message and Postgres' answer (1 RTT).
    expect(t.connect).toBeGreaterThanOrEqual(3 * RTT - EARLY);
    expect(t.connect).toBeLessThan(3 * RTT + LATE);
  });

  it('is off by default on the pg bridge', async () => {
    await pgRoundTrips(near);
    const t = await pgRoundTrips(near);
    expect(t.query).toBeLessThan(RTT / 2);
    expect(t.connect).toBeLessThan(RTT);
  });

  it('costs the Redis bridge one RTT per request, one more on a new connection', async () => {
    const token = `rtt-test-${randomId()}`;
    const bridge = await redisBridge(token, RTT);
    try {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const first = await ping(bridge, token, agent);
      const second = await ping(bridge, token, agent);
      agent.destroy();
      expect(first).toBeGreaterThanOrEqual(2 * RTT - EARLY);
      expect(first).toBeLessThan(2 * RTT + LATE);
      expect(second).toBeGreaterThanOrEqual(RTT - EARLY);
      expect(second).toBeLessThan(RTT + LATE);
    } finally {
      await bridge.close();
    }
  });

  it('is off by default on the Redis bridge', async () => {
    const token = `rtt-test-${randomId()}`;
    const bridge = await redisBridge(token);
    try {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      await ping(bridge, token, agent);
      expect(await ping(bridge, token, agent)).toBeLessThan(RTT / 2);
      agent.destroy();
    } finally {
      await bridge.close();
    }
  });

  it('refuses an RTT that is not a whole number of milliseconds up to 10 s', async () => {
    await expect(startPgBridge({ allow: [pgAddress(DATABASE_URL)], simulatedRttMs: -1 })).rejects.toThrow(
      /simulated RTT/,
    );
    await expect(startPgBridge({ allow: [pgAddress(DATABASE_URL)], simulatedRttMs: 1.5 })).rejects.toThrow(
      /simulated RTT/,
    );
  });
});
