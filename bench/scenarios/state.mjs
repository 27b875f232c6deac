// Scenario `state`: the keyed-state store (shared/state/) on each backend.
//
// The test-only state Worker (shared/state/test/worker.ts, never deployed) runs under bare workerd on the server
// core, its Durable Objects SQLite-backed on local disk, its Redis backend on the platform's Redis bridge and
// the machine's Redis. Two kinds of figures:
//
// - over HTTP at the default connections: POST /apply incrementing one of 100 documents (little contention),
//   per backend, beside the runtime ceiling (bare workerd "ok");
// - inside the isolate (POST /bench): time per operation, one at a time, for a write and for a read that writes
//   nothing; Redis round trips per operation (counted by the store); and 50 concurrent writers on one key
//   (optimistic retries on Redis, the object's queue on Durable Objects): throughput, latency, lost races.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, WORKERD_BIN } from '../../scripts/lib/platform.mjs';
import { buildStateWorker } from '../../shared/state/test/state-worker-build.mjs';
import { BENCH_OUT } from '../lib/platform.mjs';
import { SERVER_CPU, spawnPinned, waitForHttp } from '../lib/proc.mjs';
import { REFERENCES_DIR, startBareWorker } from '../lib/references.mjs';
import { median } from '../lib/report.mjs';
import { withProcesses } from '../lib/scenario.mjs';

const JSON_HEADERS = { 'content-type': 'application/json' };
const BACKENDS = ['memory', 'durable-object', 'redis'];

async function startStateWorker(redis) {
  const dir = join(BENCH_OUT, 'state-worker');
  const config = await buildStateWorker(dir);
  const doDir = join(dir, 'do');
  mkdirSync(doDir, { recursive: true });
  const port = await freePort();
  const proc = spawnPinned(
    SERVER_CPU,
    WORKERD_BIN,
    ['serve', config, '--socket-addr', `http=127.0.0.1:${port}`, '--directory-path', `do-storage=${doDir}`],
    {
      env: {
        STATE_BACKEND: 'durable-object',
        UPSTASH_REDIS_REST_URL: redis.url,
        // The auth Worker's token: it holds the keyed-state grant (its script on state:* under the run's prefix).
        UPSTASH_REDIS_REST_TOKEN: redis.tokens.auth,
        REDIS_KEY_PREFIX: redis.prefix,
      },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/health`, proc);
  return { url, pid: proc.child.pid, stop: proc.stop };
}

async function post(url, body) {
  const res = await fetch(url, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${text}`);
  return JSON.parse(text);
}

/** In-isolate figures, medians over `rounds`. */
async function inIsolate(url, log, rounds) {
  const runs = [];
  const cases = [];
  for (const backend of BACKENDS) {
    const n = backend === 'memory' ? 5000 : 400;
    cases.push({ id: `${backend}-write`, body: { backend, n, concurrency: 1, write: true } });
    cases.push({ id: `${backend}-read`, body: { backend, n, concurrency: 1, write: false } });
  }
  for (const backend of ['durable-object', 'redis']) {
    cases.push({ id: `${backend}-hot50`, body: { backend, n: 250, concurrency: 50, write: true, sameKey: true } });
  }
  // Warm-up: isolate, script cache, connections.
  for (const c of cases) await post(`${url}/bench`, { ...c.body, n: Math.min(c.body.n, 50) });
  for (let round = 0; round < rounds; round++) {
    const r = {};
    for (const c of cases) r[c.id] = await post(`${url}/bench`, c.body);
    // 50 consumers of one single-use document, on Redis: exactly one must win.
    const key = `once-${Date.now()}-${round}`;
    await post(`${url}/apply`, { backend: 'redis', machine: 'once', op: 'issue', key, args: 60_000 });
    const burst = await post(`${url}/burst`, {
      backend: 'redis',
      machine: 'once',
      op: 'consume',
      key,
      args: 'b',
      n: 50,
    });
    r.consume50 = { ms: burst.ms, winners: burst.results.filter((x) => x?.won).length, errors: burst.errors };
    runs.push(r);
    log(`state in-isolate round ${round + 1}: ${JSON.stringify(r)}`);
  }
  const out = {};
  for (const id of [...cases.map((c) => c.id)]) {
    out[id] = {};
    for (const k of ['opsPerSec', 'p50Ms', 'p99Ms', 'roundTripsPerOp', 'conflictsPerOp']) {
      out[id][k] = median(runs.map((r) => r[id][k]));
    }
    out[id].maxAttempts = Math.max(...runs.map((r) => r[id].maxAttempts ?? 0));
    out[id].failures = runs.reduce((sum, r) => sum + r[id].failures, 0);
    out[id].ops = runs.reduce((sum, r) => sum + r[id].n, 0);
  }
  out.consume50 = {
    ms: median(runs.map((r) => r.consume50.ms)),
    winners: runs.map((r) => r.consume50.winners),
    errors: runs.map((r) => r.consume50.errors),
  };
  return out;
}

export default {
  name: 'state',
  description: 'keyed-state store: ops over HTTP per backend, in-isolate latency and round trips, 50-way contention',

  setup: withProcesses(async (ctx, stops) => {
    const platform = await ctx.platform();
    const worker = await startStateWorker(platform.redis);
    stops.push(worker.stop);
    const isolate = await inIsolate(worker.url, ctx.log, 3);
    const ok = await startBareWorker('runtime-ceiling', join(REFERENCES_DIR, 'ok-worker.js'));
    stops.push(ok.stop);

    // Increments spread over 100 documents: after the warm-up they exist (on Durable Objects, creating an object
    // is a new SQLite database under workerd, much dearer than using one), and 16 connections seldom meet on one
    // key.
    const applyRequest = (backend) => ({
      url: `${worker.url}/apply`,
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify({ backend, machine: 'counter', op: 'add', key: '', spreadKeys: 100, args: 1 }),
    });
    for (const b of BACKENDS) {
      const first = await post(`${worker.url}/apply`, JSON.parse(applyRequest(b).body));
      if (!(first.result >= 1)) throw new Error(`state worker (${b}) answered ${JSON.stringify(first)}`);
    }
    const measurements = [
      { id: 'runtime-ceiling', label: 'runtime ceiling: bare workerd "ok"', request: { url: ok.url } },
      ...BACKENDS.map((b) => ({
        id: `apply-${b}`,
        label: `state: POST /apply, 100 keys, ${b}`,
        request: applyRequest(b),
        compare: ['runtime-ceiling'],
        serverPids: b === 'redis' ? [worker.pid, platform.pids.redisBridge] : [worker.pid],
      })),
    ];
    const us = (opsPerSec) =>
      Number.isFinite(opsPerSec) && opsPerSec > 0 ? `${Math.round(1e6 / opsPerSec)} µs` : 'n/a';
    return {
      measurements,
      processes: { 'state-worker': worker.pid, 'runtime-ceiling': ok.pid },
      targets(r) {
        const rows = [];
        for (const b of BACKENDS) {
          const w = isolate[`${b}-write`];
          const rd = isolate[`${b}-read`];
          rows.push({
            label: `in-isolate, one at a time: ${b}`,
            info: true,
            pass: true,
            detail: `write ${us(w.opsPerSec)}/op (${Math.round(w.opsPerSec)} ops/s), read ${us(rd.opsPerSec)}/op (${Math.round(rd.opsPerSec)} ops/s)${b === 'redis' ? `; round trips per write ${w.roundTripsPerOp}, per read ${rd.roundTripsPerOp}` : ''}`,
          });
        }
        for (const b of ['durable-object', 'redis']) {
          const h = isolate[`${b}-hot50`];
          rows.push({
            label: `50 concurrent writers on one key: ${b}`,
            info: true,
            pass: true,
            detail: `${Math.round(h.opsPerSec)} ops/s, p50 ${h.p50Ms} ms, p99 ${h.p99Ms} ms, ${h.failures} of ${h.ops} failed${b === 'redis' ? ` (503 contended); ${h.conflictsPerOp?.toFixed(1)} lost races and ${h.roundTripsPerOp?.toFixed(1)} round trips per op, worst op ${h.maxAttempts} attempts` : ''}`,
          });
        }
        rows.push({
          label: '50 concurrent consumers of one single-use document (redis): exactly one winner',
          pass:
            isolate.consume50.winners.every((w) => w === 1) &&
            isolate.consume50.errors.every((e) => Object.keys(e).length === 0),
          detail: `winners per round ${isolate.consume50.winners.join(', ')}; ${Math.round(isolate.consume50.ms)} ms for all 50 (median)`,
        });
        rows.push({
          label: 'state over HTTP: zero errors',
          pass: BACKENDS.every((b) => r[`apply-${b}`].errors + r[`apply-${b}`].timeouts + r[`apply-${b}`].non2xx === 0),
          detail: BACKENDS.map(
            (b) => `${b} ${Math.round(r[`apply-${b}`].rps)} ops/s p50 ${r[`apply-${b}`].p50} ms`,
          ).join('; '),
        });
        return rows;
      },
    };
  }),
};
