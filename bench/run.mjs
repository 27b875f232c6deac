#!/usr/bin/env node
// `npm run bench [-- <scenario>...] [--rounds N] [--duration S] [--warmup S] [--connections N] [--rtt MS]
//   [--peer-untuned]`
//
// Runs every bench/scenarios/*.mjs (or the named ones) under bare workerd, never wrangler dev: the platform as
// `npm start` runs it (generated workerd config, Postgres and Redis bridges, the machine's real Postgres and
// Redis), built into .bench-out/dist. Servers are pinned to one core (`taskset -c 1`, BENCH_SERVER_CPU), each load
// generator (autocannon in a child process) to the other (`taskset -c 0`, BENCH_LOAD_CPU). The bridges go with the
// servers unless BENCH_DATA_CPU names other cores (the token scenario also measures one replica with its bridges
// on the load core, for the record).
//
// What runs where. Server core: the shared platform's workerd (all four Workers, the monitor's stream consumer
// off, see BENCH_PLATFORM_ENV) with its two bridges; the references (bare workerd Workers, node-oidc-provider);
// replicas (further platform workerd processes on the same data, each with its own bridges), among them the
// monitor scenario's consumer process, started for that scenario only. Load core: the load generators. Redis and
// Postgres are the machine's, unpinned. Every scenario's
// measurements are repeated for several rounds (default 3), interleaved so machine noise hits all of them alike,
// and medians are reported with ratios, PASS/MISS per target, and JSON in .bench-out/ (latest.json).
//
// Options scenarios read (ctx.options):
//   --rtt MS (BENCH_DATA_RTT_MS, default 40): the distant data plane: scenarios that support it also measure a
//     replica whose bridges delay every Postgres and Redis round trip by MS; 0 skips those measurements.
//   --peer-untuned (BENCH_PEER_UNTUNED=1): also measure node-oidc-provider as it comes (bench/references/oidc-peer.mjs).
//
// Scenario contract. A scenario is a module in bench/scenarios/ whose default export is
//
//   {
//     name: 'token',                        // selects it: `npm run bench -- token`
//     description: '...',
//     async setup(ctx) -> {
//       measurements: [{
//         id: 'token',                      // unique within the scenario
//         label: 'platform: POST /oauth/token',
//         // A load measurement: one HTTP request, sent at ctx.load.connections for the duration. Either fixed,
//         // or an async function called before every run (to mint single-use credentials, say); `rotate` (single-use
//         // credentials) and `cycle` (reusable ones in turn) in it: lib/load-worker.mjs.
//         request: { url, method?, headers?, body?, rotate?, cycle?, okStatus? } | async () => request,
//         // Or a single-request measurement: called once per round, it resolves to the latency of what it timed
//         // (a first request after a restart, say). Reported as the median and the worst of the rounds.
//         sample?: async () => ({ ms: number, ok: boolean, cpuMs?: number, detail?: string }),
//         compare?: ['token-ceiling', ...],  // ids of measurements to print ratios against
//         serverPids?: [pid, ...] | () => [pid, ...],  // processes doing the server's work: CPU per request
//         load?: { connections?, durationSec?, warmupSec? },  // overrides of the defaults, rarely needed
//       }],
//       targets?(results) -> [{ label, pass: boolean, info?: boolean, detail: string }],  // info: printed INFO
//       async checks?() -> [same shape as targets],  // correctness checks, run once after the rounds
//       processes?: { name: pid },          // for the record
//       async teardown?(),
//     }
//   }
//
// ctx = {
//   platform(): Promise<Platform>   // started once, shared by all scenarios: { urls: {auth, policy, admin, monitor},
//                                   // env, secrets: {REGISTRATION_TOKEN, ADMIN_BOOTSTRAP_TOKEN, POLICY_API_TOKEN,
//                                   //   CLIENT_CACHE_MAC_KEY}, redis, logs,
//                                   // serverPids: workerd + both bridges + the Redis server,
//                                   // replica({ dataRttMs }): another workerd on the same data (lib/platform.mjs) }
//   startBareWorker(name, modulePath, vars?, flags?)  // lib/references.mjs: a one-module workerd Worker on the server core
//   load: { connections, durationSec, warmupSec }
//   options: { dataRttMs, peerUntuned }
//   log(msg)
// }
// Load measurements must succeed with 2xx; anything else is counted as non-2xx and shown.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LOAD_DEFAULTS, runLoad } from './lib/load.mjs';
import { BENCH_OUT, buildPlatform, startPlatform } from './lib/platform.mjs';
import { LOAD_CPU, SERVER_CPU } from './lib/proc.mjs';
import { startBareWorker } from './lib/references.mjs';
import { printScenario, printTargets, summarize, summarizeSamples, writeResults } from './lib/report.mjs';

const SCENARIOS_DIR = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, 'scenarios');

function parseArgs(argv) {
  const opts = {
    names: [],
    rounds: Number(process.env.BENCH_ROUNDS ?? 3),
    load: { ...LOAD_DEFAULTS },
    options: {
      dataRttMs: Number(process.env.BENCH_DATA_RTT_MS ?? 40),
      peerUntuned: process.env.BENCH_PEER_UNTUNED === '1',
    },
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--rounds') opts.rounds = Number(argv[++i]);
    else if (a === '--rtt') opts.options.dataRttMs = Number(argv[++i]);
    else if (a === '--peer-untuned') opts.options.peerUntuned = true;
    else if (a === '--duration') opts.load.durationSec = Number(argv[++i]);
    else if (a === '--warmup') opts.load.warmupSec = Number(argv[++i]);
    else if (a === '--connections') opts.load.connections = Number(argv[++i]);
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else opts.names.push(a);
  }
  if (!(opts.rounds >= 1)) throw new Error('--rounds must be >= 1');
  const rtt = opts.options.dataRttMs;
  if (!Number.isInteger(rtt) || rtt < 0 || rtt > 10_000)
    throw new Error('--rtt must be whole milliseconds, 0 to 10000');
  return opts;
}

/**
 * Generous limits for the bench client: rate limiting stays on (leases, Durable Object) as in production, but the
 * bench must measure issuance, not refusals.
 *
 * The shared platform's monitor Worker serves its API but does not consume the `security-events` stream: its
 * consumer (decoding, audit-log inserts, detectors) would otherwise run in the process under test, on the same core,
 * and every measurement would also count the monitor's work on the events it emits. The platform still emits every
 * event (XADD, capped by MAXLEN); the monitor scenario runs the consumer in a workerd process of its own
 * (scenarios/monitor.mjs).
 */
const BENCH_PLATFORM_ENV = {
  ...Object.fromEntries(
    ['TOKEN', 'INTROSPECT', 'REVOKE', 'REGISTER'].flatMap((e) => [
      [`RATE_LIMIT_${e}_CAPACITY`, '1000000000'],
      [`RATE_LIMIT_${e}_REFILL_PER_SECOND`, '1000000'],
      [`RATE_LIMIT_IP_${e}_CAPACITY`, '1000000000'],
      [`RATE_LIMIT_IP_${e}_REFILL_PER_SECOND`, '1000000'],
    ]),
  ),
  // The sign-in, code and refresh scenarios sign the same user in many times from one address: the per-address
  // sign-in bucket (checked before any password work) would refuse them as a password-guessing attack.
  LOGIN_RATE_LIMIT_IP_CAPACITY: '1000000',
  LOGIN_RATE_LIMIT_IP_REFILL_PER_SECOND: '1000000',
  MONITOR_CONSUMER_ENABLED: 'false',
};

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const log = (msg) => console.log(`[bench ${((performance.now() - started) / 1000).toFixed(1)}s] ${msg}`);
  const files = readdirSync(SCENARIOS_DIR)
    .filter((f) => f.endsWith('.mjs'))
    .sort();
  const scenarios = [];
  for (const f of files) scenarios.push((await import(pathToFileURL(join(SCENARIOS_DIR, f)).href)).default);
  const selected = opts.names.length ? scenarios.filter((s) => opts.names.includes(s.name)) : scenarios;
  const unknown = opts.names.filter((n) => !scenarios.some((s) => s.name === n));
  if (unknown.length)
    throw new Error(`unknown scenario(s) ${unknown.join(', ')}; have ${scenarios.map((s) => s.name).join(', ')}`);
  log(
    `scenarios: ${selected.map((s) => s.name).join(', ')}; ${opts.rounds} rounds x ${opts.load.durationSec} s (+${opts.load.warmupSec} s warm-up) at ${opts.load.connections} connections; server core ${SERVER_CPU}, load core ${LOAD_CPU}`,
  );

  log(
    "what runs where: server core: the shared platform (monitor consumer off, events still emitted), its bridges, references, replicas (the monitor scenario's consumer process among them); load core: load generators",
  );
  let platformPromise;
  const cleanups = [];
  const ctx = {
    load: opts.load,
    options: opts.options,
    log,
    startBareWorker,
    platform() {
      platformPromise ??= (async () => {
        log('building the platform into .bench-out/dist');
        const outRoot = await buildPlatform();
        const p = await startPlatform({ outRoot, env: BENCH_PLATFORM_ENV, log });
        cleanups.push(() => p.stop());
        return p;
      })();
      return platformPromise;
    },
  };

  const report = {
    started: new Date().toISOString(),
    machine: {
      cpus: (await import('node:os')).cpus().length,
      node: process.version,
      serverCpu: SERVER_CPU,
      loadCpu: LOAD_CPU,
    },
    options: { rounds: opts.rounds, ...opts.load, ...opts.options },
    loadAverageAtStart: (await import('node:os')).loadavg(),
    scenarios: {},
  };
  let misses = 0;
  // Ctrl-C or a kill still stops every server this run started.
  const interrupt = async (signal) => {
    log(`${signal}: stopping`);
    for (const fn of cleanups.reverse()) await fn().catch(() => {});
    process.exit(130);
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    for (const scenario of selected) {
      log(`${scenario.name}: setting up`);
      const run = await scenario.setup(ctx);
      if (run.teardown) cleanups.push(run.teardown);
      try {
        const rounds = Object.fromEntries(run.measurements.map((m) => [m.id, []]));
        for (let round = 1; round <= opts.rounds; round++) {
          for (const m of run.measurements) {
            const where = `${scenario.name} round ${round}/${opts.rounds} ${m.id}`;
            if (m.sample) {
              const r = await m.sample();
              rounds[m.id].push(r);
              log(`${where}: ${r.ok ? '' : 'FAILED '}${r.ms.toFixed(1)} ms${r.detail ? ` (${r.detail})` : ''}`);
              continue;
            }
            const request = typeof m.request === 'function' ? await m.request() : m.request;
            const serverPids = (typeof m.serverPids === 'function' ? m.serverPids() : m.serverPids) ?? [];
            const r = await runLoad(request, { ...opts.load, ...m.load, serverPids });
            rounds[m.id].push(r);
            log(
              `${where}: ${Math.round(r.rps)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms${Number.isFinite(r.cpuUsPerRequest) ? `, CPU ${Math.round(r.cpuUsPerRequest)} us/req` : ''}, errors ${r.errors + r.timeouts}, non-2xx ${r.non2xx}`,
            );
            // Let deferred work (waitUntil) drain so one measurement does not tax the next.
            await new Promise((resolve) => setTimeout(resolve, 300));
          }
        }
        const results = Object.fromEntries(
          run.measurements.map((m) => [m.id, m.sample ? summarizeSamples(rounds[m.id]) : summarize(rounds[m.id])]),
        );
        const targets = run.targets ? run.targets(results) : [];
        if (run.checks) {
          log(`${scenario.name}: checks`);
          targets.push(...(await run.checks()));
        }
        misses += targets.filter((t) => !t.info && !t.pass).length;
        printScenario({ name: scenario.name, measurements: run.measurements }, results);
        printTargets(scenario.name, targets);
        report.scenarios[scenario.name] = {
          description: scenario.description,
          measurements: run.measurements.map(({ id, label, compare, sample }) => ({
            id,
            label,
            compare,
            kind: sample ? 'sample' : 'load',
          })),
          results,
          targets,
          processes: run.processes,
        };
      } finally {
        const idx = cleanups.indexOf(run.teardown);
        if (idx >= 0) cleanups.splice(idx, 1);
        await run.teardown?.();
      }
    }
  } finally {
    for (const fn of cleanups.reverse()) await fn().catch(() => {});
  }
  report.durationSec = Math.round((performance.now() - started) / 1000);
  report.loadAverageAtEnd = (await import('node:os')).loadavg();
  const load = (l) => l.map((v) => v.toFixed(2)).join(' ');
  log(`load average at start ${load(report.loadAverageAtStart)}, at end ${load(report.loadAverageAtEnd)}`);
  if (opts.rounds < 3) log(`${opts.rounds} round(s): medians of fewer than 3 rounds are not valid against the targets`);
  const file = writeResults(BENCH_OUT, report);
  log(
    `done in ${report.durationSec} s; results in ${file}; ${misses === 0 ? 'all targets PASS' : `${misses} target(s) MISS`}`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
