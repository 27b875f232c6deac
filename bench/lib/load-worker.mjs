// Runs one autocannon measurement (after an optional warm-up) and prints its summary as one JSON line. Started by
// load.mjs pinned to the load core, so the load generator never shares a core with the server it measures.
// Prints `WARMED` between warm-up and measurement, so the parent starts its server-CPU accounting there.
import autocannon from 'autocannon';

const spec = JSON.parse(process.argv[2]);
const run = (durationSec) =>
  autocannon({
    url: spec.url,
    method: spec.method ?? 'GET',
    headers: spec.headers ?? {},
    body: spec.body,
    connections: spec.connections,
    pipelining: 1,
    duration: durationSec,
    timeout: 10,
  });

if (spec.warmupSec > 0) await run(spec.warmupSec);
process.stdout.write('WARMED\n');
const result = await run(spec.durationSec);
process.stdout.write(
  `${JSON.stringify({
    rps: result.requests.average,
    requests: result.requests.total,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    durationSec: result.duration,
    statusCodes: result.statusCodeStats,
  })}\n`,
);
