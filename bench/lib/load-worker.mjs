// Runs one autocannon measurement and prints its summary as one JSON line. Started by load.mjs pinned to the
// load core, so the load generator never shares a core with the server it measures.
import autocannon from 'autocannon';

const spec = JSON.parse(process.argv[2]);
const result = await autocannon({
  url: spec.url,
  method: spec.method ?? 'GET',
  headers: spec.headers ?? {},
  body: spec.body,
  connections: spec.connections,
  pipelining: 1,
  duration: spec.durationSec,
  timeout: 10,
});
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
