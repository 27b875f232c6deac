// Runs one autocannon measurement (after an optional warm-up) and prints its summary as one JSON line. Started by
// load.mjs pinned to the load core, so the load generator never shares a core with the server it measures, with the
// path of its spec (a JSON file: a pool of credentials can be far over Linux's 128 KiB cap on one argument).
// Prints `WARMED` between warm-up and measurement, so the parent starts its server-CPU accounting there.
//
// Latency percentiles are computed here from every 2xx response time of the measured run (autocannon's own
// histogram keeps whole milliseconds, too coarse for targets under a millisecond).
//
// `spec.rotate` = { param, field, tokens }: single-use credentials (rotating refresh tokens). Each request takes
// one from the pool and sends it as `param` (appended to the form body); a 2xx answer's JSON `field` goes back
// into the pool. Tokens in flight when a run stops are lost, so the pool must start with a margin over the number
// of connections; a request finding the pool empty goes out without one and is counted as an error answer.
//
// `spec.cycle` = { param, values }: reusable credentials (valid tokens) sent in turn, round-robin over every
// connection, one per request as `param` (appended to the form body): a server-side cache of answers per value sees
// each one again only after the whole pool has gone by. The turn carries on from the warm-up into the measured run.
//
// `spec.okStatus` = [303, ...]: the statuses that count as success instead of 2xx (a form post answered with a
// redirect); anything else is reported in `non2xx`, and only successes enter the latencies.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
if (spec.rotate && spec.cycle) throw new Error('a spec has rotate or cycle, not both');
if (spec.cycle && !(spec.cycle.values?.length > 0)) throw new Error('spec.cycle.values is empty');
const pool = spec.rotate ? [...spec.rotate.tokens] : null;
const isOk = spec.okStatus ? (status) => spec.okStatus.includes(status) : (status) => status >= 200 && status < 300;
let unexpected = 0;

function rotatingRequest({ param, field }) {
  return {
    setupRequest(req) {
      const token = pool.pop();
      const extra = token === undefined ? '' : `${param}=${encodeURIComponent(token)}`;
      return { ...req, body: spec.body ? `${spec.body}&${extra}` : extra };
    },
    onResponse(status, body) {
      if (status < 200 || status >= 300) return;
      try {
        const next = JSON.parse(body)[field];
        if (typeof next === 'string') pool.push(next);
      } catch {
        // not JSON: the chain ends here
      }
    },
  };
}

// Encoded once: the load core should spend its time sending, not encoding.
const cycled = spec.cycle ? spec.cycle.values.map((v) => `${spec.cycle.param}=${encodeURIComponent(v)}`) : null;
let turn = 0;

function cyclingRequest() {
  return {
    setupRequest(req) {
      const extra = cycled[turn];
      turn = (turn + 1) % cycled.length;
      return { ...req, body: spec.body ? `${spec.body}&${extra}` : extra };
    },
  };
}

function run(durationSec, record) {
  const instance = autocannon({
    url: spec.url,
    method: spec.method ?? 'GET',
    headers: spec.headers ?? {},
    body: spec.body,
    ...(spec.rotate ? { requests: [rotatingRequest(spec.rotate)] } : {}),
    ...(spec.cycle ? { requests: [cyclingRequest()] } : {}),
    connections: spec.connections,
    pipelining: 1,
    duration: durationSec,
    timeout: 10,
  });
  if (record) {
    instance.on('response', (_client, status, _bytes, ms) => {
      if (isOk(status)) record.push(ms);
      else unexpected += 1;
    });
  }
  return instance;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

if (spec.warmupSec > 0) await run(spec.warmupSec);
process.stdout.write('WARMED\n');
const times = [];
const result = await run(spec.durationSec, times);
times.sort((a, b) => a - b);
const round = (v) => Math.round(v * 1000) / 1000;
process.stdout.write(
  `${JSON.stringify({
    rps: result.requests.average,
    requests: result.requests.total,
    p50: round(percentile(times, 50)),
    p90: round(percentile(times, 90)),
    p99: round(percentile(times, 99)),
    max: round(times.at(-1) ?? Number.NaN),
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: spec.okStatus ? unexpected : result.non2xx,
    durationSec: result.duration,
    statusCodes: result.statusCodeStats,
  })}\n`,
);
