/**
 * Production limits per request on Cloudflare, checked on the real platform (workerd, real Postgres and Redis
 * through the bridges), for the hot paths: token issuance, introspection, a policy decision; and for the first
 * requests of a cold process, which do the most I/O.
 *
 * - CPU time per request. Workers Free allows 10 ms of CPU per request; Paid 30 s by default, up to 5 min. We hold
 *   every plan's limit by holding the free one: the budget is half of it in the mean over 100 requests, and the
 *   limit itself for their 99th percentile. Measured as workerd's own CPU time (all threads, from /proc schedstat) around
 *   each request, so it includes the runtime's HTTP parsing and whatever work the request left on waitUntil, which
 *   Cloudflare does not all bill: an upper bound. A budget, not a timing: CPU time does not grow with the machine's
 *   load the way latency does, and the measured costs are a small fraction of it (`npm run bench` shows them).
 * - Subrequests per request. Workers Free allows 50 per request; Paid 10,000 (1,000 on the older Standard usage
 *   model). We assert the free plan's 50, which binds on every plan. Counted where they leave the process: a
 *   counting proxy in front of the Redis REST bridge (every HTTP request is one `fetch`) and one in front of the
 *   Postgres WebSocket bridge (every connection is one WebSocket upgrade `fetch`). Calls through service bindings
 *   and to Durable Objects stay inside workerd and are not counted here; on the paths measured, steady-state rate
 *   limiting spends local leases (no Durable Object call per request) and only admin routes call the policy Worker.
 *   Each request is followed by a pause so the work it left on waitUntil (the event batch, a refresh) lands in its
 *   own window.
 */
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { createConnection, createServer as createTcpServer, type Server } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientCredentials,
  introspect,
  type RegisteredClient,
  register,
  sleep,
  startTokenPlatform,
  type TokenPlatform,
} from './token-helpers.js';

const FREE_CPU_MS = 10;
const FREE_SUBREQUESTS = 50;
/** waitUntil work of a request (the event sink flushes 20 ms after the first event) lands within this. */
const SETTLE_MS = 80;

/** CPU time of a process in ms (all threads, nanosecond schedstat). */
function cpuMs(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
  }
  if (!Number.isFinite(ns)) throw new Error('no schedstat for the workerd process');
  return ns / 1e6;
}

interface Counter {
  url: string;
  count: number;
  close(): Promise<void>;
}

/** An HTTP proxy in front of the Redis REST bridge that counts the requests it forwards. */
async function countingHttpProxy(target: string): Promise<Counter> {
  const to = new URL(target);
  const counter = { count: 0 } as Counter;
  const server = createHttpServer((req, res) => {
    counter.count++;
    const upstream = httpRequest(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  counter.url = `http://127.0.0.1:${port}`;
  counter.close = () => new Promise<void>((r) => server.close(() => r()));
  return counter;
}

/** A TCP proxy in front of the Postgres WebSocket bridge that counts connections (one per WebSocket). */
async function countingTcpProxy(host: string, port: number): Promise<Counter & { server: Server }> {
  const counter = { count: 0 } as Counter & { server: Server };
  const server = createTcpServer((socket) => {
    counter.count++;
    const upstream = createConnection({ host, port });
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  counter.server = server;
  counter.url = `127.0.0.1:${(server.address() as { port: number }).port}`;
  counter.close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
    });
  return counter;
}

let tp: TokenPlatform;
let redisProxy: Counter;
let pgProxy: Counter & { server: Server };
let client: RegisteredClient;
const decisionBody = JSON.stringify({
  principal: { type: 'Admin', id: 'limits' },
  action: 'Admin::users_delete_one',
  resource: { type: 'AdminEndpoint', id: 'keys' },
  entities: [{ uid: { type: 'Admin', id: 'limits' }, attrs: { roles: ['user-admin'] } }],
});

async function token(): Promise<string> {
  const { token: t, response } = await clientCredentials(tp, client, { scope: 'read' });
  expect(response.status).toBe(200);
  return t.access_token as string;
}

async function decide(): Promise<void> {
  const res = await fetch(`${tp.platform.urls.policy}/v1/authorize`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tp.platform.env.POLICY_API_TOKEN}`, 'content-type': 'application/json' },
    body: decisionBody,
  });
  expect(res.status, await res.clone().text()).toBe(200);
  expect(((await res.json()) as { decision: string }).decision).toBe('Deny');
}

beforeAll(async () => {
  // Rate limiting stays on, with room for the runs below (its own tests cover refusals).
  tp = await startTokenPlatform(
    Object.fromEntries(
      ['TOKEN', 'INTROSPECT'].flatMap((e) => [
        [`RATE_LIMIT_${e}_CAPACITY`, '100000'],
        [`RATE_LIMIT_${e}_REFILL_PER_SECOND`, '10000'],
        [`RATE_LIMIT_IP_${e}_CAPACITY`, '100000'],
        [`RATE_LIMIT_IP_${e}_REFILL_PER_SECOND`, '10000'],
      ]),
    ),
  );
  redisProxy = await countingHttpProxy(tp.platform.redisRestUrl);
  const [pgHost, pgRest] = tp.platform.pgProxy.split(/:(.*)/s) as [string, string];
  const slash = pgRest.indexOf('/');
  pgProxy = await countingTcpProxy(pgHost, Number(slash === -1 ? pgRest : pgRest.slice(0, slash)));
  const pgPath = slash === -1 ? '' : pgRest.slice(slash);
  // The Workers reach the data plane only through the counters from here on.
  await tp.platform.restartWorkerd({ UPSTASH_REDIS_REST_URL: redisProxy.url, PG_WS_PROXY: `${pgProxy.url}${pgPath}` });
  client = await register(tp, { scope: 'read' });
}, 120_000);

afterAll(async () => {
  await tp?.stop();
  await redisProxy?.close();
  await pgProxy?.close();
});

/** Subrequests (Redis REST requests + Postgres WebSockets) made for one request, its waitUntil work included. */
async function subrequestsOf(fn: () => Promise<unknown>): Promise<number> {
  await sleep(SETTLE_MS);
  const before = redisProxy.count + pgProxy.count;
  await fn();
  await sleep(SETTLE_MS);
  return redisProxy.count + pgProxy.count - before;
}

describe('subrequests per request stay under the Workers Free limit (50)', () => {
  it('cold process: the first token request, introspection and decision', async () => {
    await tp.platform.restartWorkerd();
    const first = await subrequestsOf(token);
    const issued = await token();
    await tp.platform.restartWorkerd();
    const firstIntrospection = await subrequestsOf(async () => {
      expect((await introspect(tp, client, issued)).body.active).toBe(true);
    });
    const firstDecision = await subrequestsOf(decide);
    console.log(
      `[limits] subrequests, cold: token ${first}, introspection ${firstIntrospection}, decision ${firstDecision}`,
    );
    // The counters are on the path: a cold isolate has to load its client, keys and policy from somewhere.
    expect(first).toBeGreaterThan(0);
    for (const n of [first, firstIntrospection, firstDecision]) expect(n).toBeLessThanOrEqual(FREE_SUBREQUESTS);
  });

  it('steady state: every token request, introspection and decision of a run', async () => {
    const issued = await token();
    for (let i = 0; i < 5; i++) await Promise.all([token(), introspect(tp, client, issued), decide()]);
    const worst = { token: 0, introspection: 0, decision: 0 };
    for (let i = 0; i < 15; i++) {
      worst.token = Math.max(worst.token, await subrequestsOf(token));
      worst.introspection = Math.max(worst.introspection, await subrequestsOf(() => introspect(tp, client, issued)));
      worst.decision = Math.max(worst.decision, await subrequestsOf(decide));
    }
    console.log(`[limits] subrequests, steady state, worst of 15: ${JSON.stringify(worst)}`);
    for (const n of Object.values(worst)) expect(n).toBeLessThanOrEqual(FREE_SUBREQUESTS);
    // Introspection reads the denylist: its one round trip must be on the counters too.
    expect(worst.introspection).toBeGreaterThan(0);
  });
});

describe('CPU time per request stays under the Workers Free limit (10 ms)', () => {
  it('token issuance, introspection and decisions: mean under half the limit, 99th percentile under it', async () => {
    const issued = await token();
    for (let i = 0; i < 20; i++) await Promise.all([token(), introspect(tp, client, issued), decide()]);
    const paths: Record<string, () => Promise<unknown>> = {
      token,
      introspection: async () => expect((await introspect(tp, client, issued)).body.active).toBe(true),
      decision: decide,
    };
    const pid = tp.platform.pid() as number;
    expect(pid).toBeGreaterThan(0);
    type Run = { meanMs: number; p99Ms: number; worstMs: number };
    const measure = async (fn: () => Promise<unknown>): Promise<Run> => {
      const n = 100;
      const each: number[] = [];
      const start = cpuMs(pid);
      for (let i = 0; i < n; i++) {
        const before = cpuMs(pid);
        await fn();
        each.push(cpuMs(pid) - before);
      }
      // The last request's waitUntil work (an event batch) belongs to the run.
      await sleep(SETTLE_MS);
      each.sort((a, b) => a - b);
      return {
        meanMs: (cpuMs(pid) - start) / n,
        p99Ms: each[Math.ceil(n * 0.99) - 1] as number,
        worstMs: each[n - 1] as number,
      };
    };
    const report: Record<string, Run & { discarded?: Run }> = {};
    for (const [name, fn] of Object.entries(paths)) {
      const run = await measure(fn);
      // Each sample is the whole process's CPU around one request, so on a loaded machine two samples that caught
      // a garbage collection or another isolate's background work make the 99th percentile. Such a run is measured
      // once more and the better kept (both are reported): a path that really costs more fails both.
      if (run.p99Ms < FREE_CPU_MS && run.meanMs < FREE_CPU_MS / 2) report[name] = run;
      else {
        const again = await measure(fn);
        report[name] = again.p99Ms <= run.p99Ms ? { ...again, discarded: run } : { ...run, discarded: again };
      }
    }
    console.log(`[limits] workerd CPU per request (ms): ${JSON.stringify(report)}`);
    // The worst single sample is reported, not asserted: it is the whole process's CPU around one request, so a
    // garbage collection or another isolate's background work can land in it.
    for (const { meanMs, p99Ms } of Object.values(report)) {
      expect(meanMs).toBeGreaterThan(0);
      expect(meanMs).toBeLessThan(FREE_CPU_MS / 2);
      expect(p99Ms).toBeLessThan(FREE_CPU_MS);
    }
  });
});
