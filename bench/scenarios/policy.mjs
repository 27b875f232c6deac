// Scenario `policy`: Cedar decisions.
//
// Over HTTP, on the platform's policy Worker under bare workerd (server core), at the default 16 connections:
// single decisions and batches of 10 (decisions/s = 10 x req/s), beside the runtime ceiling (bare workerd "ok")
// and a decision ceiling (the same engine behind a bare handler: no framework, no store check). With 16
// connections and one server core, p50 is mostly queueing (p50 ≈ 16 / throughput), so single decisions are
// also measured at 1 connection: the latency of one decision when nothing waits in front of it.
//
// Inside one isolate (a bench-only Worker, bench/scenarios/policy-engine/, never part of a production bundle):
// time per decision with the pre-parsed set, for the shipped set and for a generated 200-policy set, split into
// request parsing, entity selection, the Cedar call, the Cedar call against an empty set (marshalling and
// Cedar's request/entity checks without evaluation), and, for comparison, the unsliced and the re-parsed paths.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorker } from '../../scripts/build.mjs';
import { freePort, WORKERD_BIN } from '../../scripts/lib/platform.mjs';
import { ROOT } from '../../scripts/lib/workers.mjs';
import { BENCH_OUT } from '../lib/platform.mjs';
import { SERVER_CPU, spawnPinned } from '../lib/proc.mjs';
import { startRuntimeCeiling, writeSingleWorkerConfig } from '../lib/references.mjs';
import { median, roundRatio, roundRatioText } from '../lib/report.mjs';
import { withProcesses } from '../lib/scenario.mjs';

const ENGINE_DIR = join(ROOT, 'bench', 'scenarios', 'policy-engine');
const q = (s) => JSON.stringify(String(s));
const JSON_HEADERS = { 'content-type': 'application/json' };

/** The typical decision request: an admin credential's roles travel with it (shared/policy-client.ts). */
function adminDecision(i, roles = ['secops'], action = 'Admin::keys_rotate') {
  return {
    request_id: `bench-${i}`,
    principal: { type: 'Admin', id: `admin-${i}` },
    action,
    resource: { type: 'AdminEndpoint', id: 'keys' },
    context: { method: 'POST', path: '/admin/keys/rotate' },
    entities: [{ uid: { type: 'Admin', id: `admin-${i}` }, attrs: { roles } }],
  };
}

function batchOfTen() {
  const mix = [
    adminDecision(0),
    adminDecision(1, ['readonly'], 'Admin::users_read'),
    adminDecision(2, ['user-admin'], 'Admin::users_delete_one'),
    adminDecision(3, ['billing'], 'Admin::billing_update'),
    adminDecision(4, ['superadmin'], 'Admin::policy_publish'),
    {
      principal: { type: 'Client', id: 'c1' },
      action: 'OAuth::token',
      resource: { type: 'OAuthClient', id: 'c1' },
      context: { grant_type: 'client_credentials' },
    },
    {
      principal: { type: 'Client', id: 'c2' },
      action: 'OAuth::token',
      resource: { type: 'OAuthClient', id: 'c2' },
      context: { grant_type: 'refresh_token' },
    },
    { principal: { type: 'User', id: 'u1' }, action: 'User::read_profile', resource: { type: 'User', id: 'u1' } },
    {
      principal: { type: 'User', id: 'u1' },
      action: 'read',
      resource: { type: 'Resource', id: 'r1' },
      entities: [{ uid: { type: 'User', id: 'u1' }, attrs: { authenticated: true } }],
    },
    adminDecision(9, ['secops'], 'Admin::pq_emergency_rollback'),
  ];
  return { requests: mix };
}

/** Bundles the bench-only engine Worker with wrangler (like the platform) and serves it, pinned, under workerd. */
async function startEngineWorker() {
  const dir = join(BENCH_OUT, 'policy-engine');
  await bundleWorker(join(ENGINE_DIR, 'wrangler.toml'), dir);
  const modules = readdirSync(dir)
    .filter((f) => !f.endsWith('.map') && f !== 'README.md')
    .sort((a, b) => (a === 'index.js' ? -1 : b === 'index.js' ? 1 : a.localeCompare(b)))
    .map((f) => {
      const kind = f.endsWith('.js') ? 'esModule' : f.endsWith('.wasm') ? 'wasm' : 'text';
      return `(name = ${q(f)}, ${kind} = embed ${q(f)})`;
    });
  const port = await freePort();
  const config = writeSingleWorkerConfig(join(dir, 'engine.capnp'), port, modules);
  const proc = spawnPinned(SERVER_CPU, WORKERD_BIN, ['serve', config], { cwd: dir });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`engine worker exited:\n${proc.logs()}`);
    try {
      await fetch(`${url}/decide`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(adminDecision(0)) });
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`engine worker did not start:\n${proc.logs()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { url, pid: proc.child.pid, stop: proc.stop };
}

/** In-isolate figures: `rounds` runs per set, median of each figure (each run's figures are batch means). */
async function inIsolate(engineUrl, log, rounds) {
  const out = {};
  for (const [set, n] of [
    ['shipped', 6_000],
    ['generated', 1_000],
  ]) {
    // Each run holds the isolate's thread for seconds. After such a response workerd may close the kept-alive
    // connection just as the client sends its next request on it ("other side closed"), so every run asks for a
    // connection of its own.
    const run = (query) => fetch(`${engineUrl}/?set=${set}&n=${n}${query}`, { headers: { connection: 'close' } });
    // One discarded run first: V8 optimises Cedar's wasm only after many calls (the first run is several times
    // slower), and the figures are meant for a warm isolate.
    const warm = await run('&compare=0');
    const warmBody = await warm.text();
    if (!warm.ok) throw new Error(`engine worker: HTTP ${warm.status} ${warmBody}`);
    const runs = [];
    for (let i = 0; i < rounds; i++) {
      const res = await run('');
      if (!res.ok) throw new Error(`engine worker: HTTP ${res.status} ${await res.text()}`);
      runs.push(await res.json());
    }
    const first = runs[0];
    const figures = {};
    for (const [k, v] of Object.entries(first)) {
      if (v && typeof v === 'object' && 'median_us' in v) {
        figures[k] = median(runs.map((r) => r[k].median_us));
      }
    }
    out[set] = {
      policies: first.policies,
      stored_entities: first.stored_entities,
      policies_per_call: first.policies_per_call,
      entities_per_call: first.entities_per_call,
      compile_ms: first.compile_ms,
      us: figures,
    };
    log(`policy in-isolate ${set}: ${JSON.stringify(out[set])}`);
  }
  return out;
}

async function expectDecision(url, body, what, headers = JSON_HEADERS) {
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${text}`);
  return JSON.parse(text);
}

export default {
  name: 'policy',
  description: 'Cedar decisions: single and batch-of-10 over HTTP at 16 connections, and in-isolate time per decision',

  setup: withProcesses(async (ctx, stops) => {
    const platform = await ctx.platform();

    // In-isolate first, alone on the server core, then stopped so it cannot tax the HTTP measurements.
    const engine = await startEngineWorker();
    stops.push(engine.stop);
    const isolate = await inIsolate(engine.url, ctx.log, 3);

    // Off Cloudflare the decision API requires its bearer token: the platform's requests carry it, as callers do.
    const platformHeaders = { ...JSON_HEADERS, authorization: `Bearer ${platform.secrets.POLICY_API_TOKEN}` };
    const single = {
      url: `${platform.urls.policy}/v1/authorize`,
      method: 'POST',
      headers: platformHeaders,
      body: JSON.stringify(adminDecision(0)),
    };
    const first = await expectDecision(single.url, adminDecision(0), 'platform decision', platformHeaders);
    if (first.decision !== 'Allow' || first.policy_version !== 1)
      throw new Error(`unexpected decision ${JSON.stringify(first)}`);
    const batch = {
      url: `${platform.urls.policy}/v1/authorize/batch`,
      method: 'POST',
      headers: platformHeaders,
      body: JSON.stringify(batchOfTen()),
    };
    const batchAnswer = await expectDecision(batch.url, batchOfTen(), 'platform batch', platformHeaders);
    const batchDecisions = batchAnswer.decisions.map((d) => d.decision ?? 'error');
    if (batchDecisions.length !== 10 || batchDecisions.includes('error'))
      throw new Error(`unexpected batch ${JSON.stringify(batchAnswer)}`);
    ctx.log(`policy batch of 10 decides: ${batchDecisions.join(' ')}`);
    const ceilingDecision = {
      url: `${engine.url}/decide`,
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify(adminDecision(0)),
    };
    if ((await expectDecision(ceilingDecision.url, adminDecision(0), 'decision ceiling')).decision !== 'Allow') {
      throw new Error('decision ceiling disagrees with the platform');
    }
    const ok = await startRuntimeCeiling(stops);

    // Cedar's wasm runs in V8's baseline tier until it has been called enough to be optimised: decision
    // measurements get a longer warm-up than the default.
    const warm = { warmupSec: Math.max(3, ctx.load.warmupSec) };
    const measurements = [
      ok.measure(),
      {
        id: 'decision-ceiling',
        label: 'decision ceiling: engine behind a bare handler',
        request: ceilingDecision,
        serverPids: [engine.pid],
        load: warm,
      },
      {
        id: 'single',
        label: 'platform: POST /v1/authorize',
        request: single,
        serverPids: platform.serverPids,
        compare: ['decision-ceiling', 'runtime-ceiling'],
        load: warm,
      },
      {
        id: 'batch',
        label: 'platform: POST /v1/authorize/batch (10)',
        request: batch,
        serverPids: platform.serverPids,
        compare: ['single'],
        load: warm,
      },
      {
        id: 'single-1c',
        label: 'platform: POST /v1/authorize, 1 connection',
        request: single,
        serverPids: platform.serverPids,
        load: { ...warm, connections: 1 },
      },
      ok.measure({ id: 'runtime-1c', label: 'runtime ceiling, 1 connection', load: { connections: 1 } }),
    ];

    return {
      measurements,
      processes: { 'runtime-ceiling': ok.pid, 'engine-worker': engine.pid },
      targets(r) {
        const s = r.single;
        const b = r.batch;
        const one = r['single-1c'];
        const ok16 = r['runtime-ceiling'];
        const shipped = isolate.shipped.us;
        const generated = isolate.generated.us;
        const us = (v) => `${Number.isFinite(v) ? v.toFixed(0) : 'n/a'} µs`;
        // Judged round by round (lib/report.mjs roundRatio); the medians are printed beside.
        const vsEngine = roundRatio(s, r['decision-ceiling']);
        return [
          {
            label: 'single decision over HTTP >= 0.9x the engine behind a bare handler, req/s',
            pass: vsEngine.judged >= 0.9,
            detail: `${Math.round(s.rps)} vs ${Math.round(r['decision-ceiling'].rps)} decisions/s = ${roundRatioText(vsEngine)}`,
          },
          {
            label: 'single decision p50 < 1 ms over HTTP at 16 connections (p50 ≈ 16 / throughput on one core)',
            pass: s.p50 < 1,
            detail: `p50 ${s.p50} ms, p99 ${s.p99} ms, ${Math.round(s.rps)} decisions/s; runtime ceiling at 16 connections: p50 ${ok16.p50} ms`,
          },
          {
            label: 'single decision p50 over HTTP at 1 connection (no queueing)',
            info: true,
            pass: one.p50 < 1,
            detail: `p50 ${one.p50} ms, p99 ${one.p99} ms, ${Math.round(one.rps)} decisions/s`,
          },
          {
            label: 'batch throughput (batches of 10 at 16 connections), in decisions per second',
            info: true,
            pass: true,
            detail: `${Math.round(b.rps * 10)} decisions/s (${Math.round(b.rps)} batches/s), p50 ${b.p50} ms, p99 ${b.p99} ms`,
          },
          {
            label: 'in-isolate decision < 200 µs, shipped set (pre-parsed, sliced)',
            pass: shipped.decide < 200,
            detail: `decide ${us(shipped.decide)} (with request parsing ${us(shipped.total)}): Cedar call ${us(shipped.cedar)}, of which marshalling + Cedar's request/entity checks ${us(shipped.cedar_empty_set)}; parse ${us(shipped.parse)}, entities ${us(shipped.entities)}; unsliced ${us(shipped.unsliced)}, re-parsed ${us(shipped.reparsed)}`,
          },
          {
            label: 'in-isolate decision, generated 200-policy set',
            info: true,
            pass: true,
            detail: `decide ${us(generated.decide)} over ${isolate.generated.policies_per_call} of 200 policies and ${isolate.generated.entities_per_call} entities: Cedar call ${us(generated.cedar)}, empty-set call ${us(generated.cedar_empty_set)}; unsliced ${us(generated.unsliced)}, re-parsed ${us(generated.reparsed)}`,
          },
          {
            label: 'decisions: zero errors',
            pass: [s, b, one].every((m) => m.errors + m.timeouts + m.non2xx === 0),
            detail: `${s.non2xx + b.non2xx + one.non2xx} non-2xx, ${s.errors + b.errors + one.errors} errors`,
          },
        ];
      },
    };
  }),
};
