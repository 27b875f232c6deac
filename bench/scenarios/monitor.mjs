// Scenario `monitor`: the monitor Worker consuming the `security-events` stream (its StreamConsumer alarm loop,
// shipped defaults: batches of 500, MONITOR_TICK_MS 250 after work, 5000 idle) in a workerd process of its own on
// the server core: a replica of the shared platform with the consumer on, started for this scenario and stopped
// after it (the shared platform's consumer is off, see BENCH_PLATFORM_ENV in run.mjs). It first drains what the
// scenarios before it left in the stream.
//
// Events are written as the platform's sinks write them (shared/events/event.ts): a batch per entry, one field `events`
// holding a JSON array of at most 64 (MAX_EVENTS_PER_ENTRY).
//
// - throughput: 20,000 events written at once (XADD, pipelined, straight to Redis), timed from the first XADD until
//   the consumer group has nothing undelivered and nothing pending: events/s processed by one monitor process (each
//   event decoded, inserted into the Postgres audit log, run through the seven detectors, acknowledged);
// - detection latency: a sustained stream of ordinary events (token.issued, RATE events/s, the order of what the
//   token endpoint produces on this machine) with one refresh-token reuse (an alert on first sight) every 200 ms;
//   each reuse's latency is from its XADD to its alert's row committed in Postgres (created_at, the database's
//   clock on this same machine). p50 and p99 over the run.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { DEFAULT_REDIS_URL, nodePool } from '../../scripts/lib/platform.mjs';

const BURST = 20_000;
const RATE = Number(process.env.BENCH_MONITOR_RATE ?? 1000);
const LATENCY_RUN_MS = Number(process.env.BENCH_MONITOR_SECONDS ?? 20) * 1000;
const PROBE_EVERY_MS = 200;
/** MAX_EVENTS_PER_ENTRY of shared/events/event.ts. */
const EVENTS_PER_ENTRY = 64;

function event(type, extra = {}) {
  return {
    event_id: randomUUID(),
    time: new Date().toISOString(),
    type,
    outcome: type === 'refresh_token.reused' ? 'failure' : 'success',
    service: 'auth',
    client_id: `bench-client-${Math.floor(Math.random() * 500)}`,
    ip: `198.18.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`,
    user_agent: 'bench/1.0',
    request_id: randomUUID(),
    ...extra,
  };
}

/** XADDs of `events` on `pipe`, as a sink's flush writes them: EVENTS_PER_ENTRY events per entry at most. */
function addEntries(pipe, stream, events) {
  for (let i = 0; i < events.length; i += EVENTS_PER_ENTRY) {
    pipe.xadd(stream, '*', 'events', JSON.stringify(events.slice(i, i + EVENTS_PER_ENTRY)));
  }
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

export default {
  name: 'monitor',
  description: 'monitor: events/s consumed by one process; detection latency XADD → alert at a sustained rate',

  async setup(ctx) {
    const platform = await ctx.platform();
    const consumer = await platform.replica({ env: { MONITOR_CONSUMER_ENABLED: 'true' } });
    const redis = new Redis(process.env.REDIS_URL ?? DEFAULT_REDIS_URL);
    const pool = await nodePool(platform.env.DATABASE_URL, platform.env.PG_WS_PROXY);
    const stream = `${platform.redis.prefix}security-events`;

    const groupInfo = async () => {
      const groups = await redis.xinfo('GROUPS', stream).catch(() => []);
      for (const g of groups) {
        const info = {};
        for (let i = 0; i + 1 < g.length; i += 2) info[g[i]] = g[i + 1];
        if (info.name === 'monitor') return info;
      }
      return null;
    };
    const drained = async (deadline) => {
      for (;;) {
        const info = await groupInfo();
        if (info && info.lag === 0 && info.pending === 0) return true;
        if (Date.now() > deadline) return false;
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    // The loop is armed by the process's first requests; wait until its group exists and the backlog is consumed.
    const armed = performance.now();
    await fetch(`${consumer.urls.monitor}/health`);
    if (!(await drained(Date.now() + 300_000)))
      throw new Error('monitor: the consumer group never appeared or never caught up');
    ctx.log(`monitor: consumer up, backlog consumed in ${((performance.now() - armed) / 1000).toFixed(1)} s`);

    const throughput = async () => {
      const pipe = redis.pipeline();
      addEntries(
        pipe,
        stream,
        Array.from({ length: BURST }, () => event('token.issued')),
      );
      const started = performance.now();
      await pipe.exec();
      const ok = await drained(Date.now() + 300_000);
      const ms = performance.now() - started;
      return { ms, ok, detail: `${Math.round(BURST / (ms / 1000))} events/s (${BURST} events)` };
    };

    const latency = async () => {
      const probes = new Map();
      const started = Date.now();
      let sent = 0;
      let nextProbe = started;
      while (Date.now() - started < LATENCY_RUN_MS) {
        const due = Math.floor(((Date.now() - started) / 1000) * RATE) - sent;
        if (due > 0) {
          // What the sinks flushed since the last pass (every 5 ms).
          const pipe = redis.pipeline();
          addEntries(
            pipe,
            stream,
            Array.from({ length: due }, () => event('token.issued')),
          );
          await pipe.exec();
          sent += due;
        }
        if (Date.now() >= nextProbe) {
          const family = `bench-${randomUUID()}`;
          const at = Date.now();
          const reuse = event('refresh_token.reused', { details: { family_id: family } });
          await redis.xadd(stream, '*', 'events', JSON.stringify([reuse]));
          probes.set(family, at);
          nextProbe += PROBE_EVERY_MS;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      await drained(Date.now() + 120_000);
      const keys = [...probes.keys()].map((f) => `token_reuse.refresh_token|family_id=${f}`);
      const { rows } = await pool.query(
        'SELECT dedup_key, extract(epoch FROM created_at) * 1000 AS at FROM alerts WHERE dedup_key = ANY($1)',
        [keys],
      );
      const lat = rows
        .map((r) => Number(r.at) - (probes.get(r.dedup_key.split('family_id=')[1]) ?? Number.NaN))
        .filter(Number.isFinite)
        .sort((a, b) => a - b);
      const ok = lat.length === probes.size;
      const p50 = percentile(lat, 50);
      const p99 = percentile(lat, 99);
      const rate = Math.round(sent / (LATENCY_RUN_MS / 1000));
      return {
        ms: p50,
        ok,
        detail: `p50 ${Math.round(p50)} ms, p99 ${Math.round(p99)} ms over ${lat.length}/${probes.size} alerts at ${rate} events/s`,
      };
    };

    return {
      measurements: [
        { id: 'monitor-throughput', label: `monitor: ${BURST} events XADD → all acknowledged`, sample: throughput },
        {
          id: 'monitor-detection',
          label: `monitor: XADD → alert at ${RATE} events/s (p50; p99 in detail)`,
          sample: latency,
        },
      ],
      targets: () => [],
      processes: { consumer: consumer.serverPids()[0] },
      async teardown() {
        redis.disconnect();
        await pool.end().catch(() => {});
        await consumer.stop();
      },
    };
  },
};
