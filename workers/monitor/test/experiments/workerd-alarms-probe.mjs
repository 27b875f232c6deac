#!/usr/bin/env node
// Probe: does bare workerd (the npm `workerd` binary) fire Durable Object alarms with `localDisk` storage, keep
// firing them across a process restart (graceful and SIGKILL), and run `scheduled` handlers on its own?
// Not a test suite: it starts real workerd processes for about a minute and a half and prints what it observed.
//   node workers/monitor/test/experiments/workerd-alarms-probe.mjs [--quick]   (--quick skips the 65 s cron wait)
// Every alarm and scheduled invocation calls back a witness HTTP server in this process, so observing a firing
// never touches the Durable Object (a request would wake it and could mask whether the runtime fired it alone).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const WORKERD = require('workerd').default;
const quick = process.argv.includes('--quick');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const WORKER = `
import { DurableObject } from 'cloudflare:workers';

async function witness(env, kind, extra) {
  await fetch(env.WITNESS + '/' + kind, { method: 'POST', body: JSON.stringify({ at: Date.now(), ...extra }) });
}

export class Ticker extends DurableObject {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === '/arm') {
      const delay = Number(url.searchParams.get('ms'));
      const loop = Number(url.searchParams.get('loop') ?? '0');
      const at = Date.now() + delay;
      const fail = Number(url.searchParams.get('fail') ?? '0');
      await this.ctx.storage.put('plan', { loop, remaining: Number(url.searchParams.get('n') ?? '1'), due: at, fail });
      await this.ctx.storage.setAlarm(at);
      return Response.json({ armed: at });
    }
    if (url.pathname === '/alarm') return Response.json({ alarm: await this.ctx.storage.getAlarm() });
    return new Response('not found', { status: 404 });
  }
  async alarm(info) {
    const plan = (await this.ctx.storage.get('plan')) ?? { loop: 0, remaining: 1, due: 0 };
    await witness(this.env, 'alarm', { due: plan.due, retry: info?.retryCount ?? null, isRetry: info?.isRetry ?? null });
    if (plan.fail > 0) {
      plan.fail -= 1;
      await this.ctx.storage.put('plan', plan);
      throw new Error('alarm handler failed on purpose');
    }
    plan.remaining -= 1;
    if (plan.loop > 0 && plan.remaining > 0) {
      plan.due = Date.now() + plan.loop;
      await this.ctx.storage.setAlarm(plan.due);
    }
    await this.ctx.storage.put('plan', plan);
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/health') return new Response('ok');
    if (url.pathname === '/extra-handlers') {
      const out = { fetcherScheduled: typeof env.SELF?.scheduled };
      if (typeof env.SELF?.scheduled === 'function') {
        try { out.result = await env.SELF.scheduled({ cron: '* * * * *', scheduledTime: Date.now() }); }
        catch (err) { out.error = String(err); }
      }
      return Response.json(out);
    }
    const stub = env.TICKER.get(env.TICKER.idFromName(url.searchParams.get('name') ?? 'probe'));
    if (url.pathname === '/arm' || url.pathname === '/alarm') return stub.fetch(request);
    await witness(env, 'fetch', { path: url.pathname });
    return new Response('fetch handler saw ' + url.pathname);
  },
  async scheduled(controller, env) {
    await witness(env, 'scheduled', { cron: controller.cron, scheduledTime: controller.scheduledTime });
  },
};
`;

function config({ port, witness, enableSql, flags }) {
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .probe),
    (name = "do-storage", disk = (path = "unused", writable = true)),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const probe :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "2026-04-26",
  compatibilityFlags = [${flags.map((f) => JSON.stringify(f)).join(', ')}],
  bindings = [
    (name = "TICKER", durableObjectNamespace = "Ticker"),
    (name = "WITNESS", text = "${witness}"),
    (name = "SELF", service = "main"),
  ],
  durableObjectNamespaces = [(className = "Ticker", uniqueKey = "probe-ticker", enableSql = ${enableSql})],
  durableObjectStorage = (localDisk = "do-storage"),
  globalOutbound = "internet",
);
`;
}

class Witness {
  calls = [];
  async start() {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        this.calls.push({ kind: req.url.slice(1), received: Date.now(), ...JSON.parse(body || '{}') });
        res.end('ok');
      });
    });
    await new Promise((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${this.server.address().port}`;
  }
  of(kind, since = 0) {
    return this.calls.filter((c) => c.kind === kind && c.received >= since);
  }
  async waitFor(kind, count, since, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.of(kind, since).length >= count) return true;
      await sleep(50);
    }
    return this.of(kind, since).length >= count;
  }
  close() {
    this.server.close();
  }
}

class Workerd {
  constructor(dir, port, storage, experimental) {
    Object.assign(this, { dir, port, storage, experimental });
  }
  async start() {
    const args = ['serve', join(this.dir, 'config.capnp'), '--directory-path', `do-storage=${this.storage}`];
    if (this.experimental) args.push('--experimental');
    this.child = spawn(WORKERD, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.log = '';
    this.child.stdout.on('data', (c) => {
      this.log += c;
    });
    this.child.stderr.on('data', (c) => {
      this.log += c;
    });
    this.exited = new Promise((r) => this.child.once('exit', r));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      try {
        if ((await fetch(`http://127.0.0.1:${this.port}/health`)).ok) return Date.now();
      } catch {}
      if (this.child.exitCode !== null) break;
      await sleep(25);
    }
    throw new Error(`workerd did not start:\n${this.log}`);
  }
  async stop(signal) {
    this.child.kill(signal);
    await this.exited;
  }
  get(path) {
    return fetch(`http://127.0.0.1:${this.port}${path}`).then((r) => r.text());
  }
}

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

async function setup(witnessUrl, { enableSql = true, flags = [], experimental = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'workerd-alarm-probe-'));
  const storage = join(dir, 'do');
  mkdirSync(storage);
  const port = await freePort();
  writeFileSync(join(dir, 'worker.js'), WORKER);
  writeFileSync(join(dir, 'config.capnp'), config({ port, witness: witnessUrl, enableSql, flags }));
  return { dir, w: new Workerd(dir, port, storage, experimental) };
}

const results = [];
function record(name, ok, detail) {
  results.push({ name, ok, detail });
  console.log(`${ok ? 'YES' : 'NO '}  ${name}${detail ? `  (${detail})` : ''}`);
}

async function alarmScenarios(witness, witnessUrl, enableSql) {
  const tag = enableSql ? 'sqlite-backed DO' : 'KV-backed DO';
  const { dir, w } = await setup(witnessUrl, { enableSql });
  try {
    await w.start();
    // 1. One alarm, 1 s ahead.
    let t0 = Date.now();
    const armed = JSON.parse(await w.get('/arm?ms=1000&name=single')).armed;
    let fired = await witness.waitFor('alarm', 1, t0, 5000);
    const late = fired ? witness.of('alarm', t0)[0].at - armed : null;
    record(`[${tag}] alarm fires`, fired, fired ? `${late} ms after its scheduled time` : 'no callback in 5 s');

    // 2. A self re-arming loop: 5 ticks 300 ms apart.
    t0 = Date.now();
    await w.get('/arm?ms=300&loop=300&n=5&name=loop');
    fired = await witness.waitFor('alarm', 5, t0, 6000);
    const ticks = witness.of('alarm', t0).map((c) => c.at);
    const gaps = ticks.slice(1).map((t, i) => t - ticks[i]);
    record(`[${tag}] re-arming alarm loop runs`, fired, `${ticks.length} ticks, gaps ${gaps.join('/')} ms`);

    // 3. Alarm due while the process is down (SIGKILL right after arming), process restarted later, no request sent.
    t0 = Date.now();
    const due = JSON.parse(await w.get('/arm?ms=1500&name=overdue')).armed;
    await w.stop('SIGKILL');
    await sleep(2500);
    const files = readdirSync(w.storage, { recursive: true }).filter((f) => f.endsWith('metadata.sqlite'));
    const restarted = await w.start();
    fired = await witness.waitFor('alarm', 1, t0, 8000);
    const c = witness.of('alarm', t0)[0];
    record(
      `[${tag}] overdue alarm fires after SIGKILL + restart, without any request`,
      fired,
      fired
        ? `${c.at - restarted} ms after restart, ${c.at - due} ms after due; alarm index: ${files.join(', ')}`
        : `alarm index: ${files.join(', ')}`,
    );

    // 4. Alarm in the future, graceful stop (SIGTERM), restart before it is due.
    t0 = Date.now();
    const future = JSON.parse(await w.get('/arm?ms=4000&name=future')).armed;
    await w.stop('SIGTERM');
    await sleep(500);
    await w.start();
    fired = await witness.waitFor('alarm', 1, t0, 9000);
    const f = witness.of('alarm', t0)[0];
    record(
      `[${tag}] future alarm fires on time after SIGTERM + restart, without any request`,
      fired,
      fired ? `${f.at - future} ms after its scheduled time` : 'no callback in 9 s',
    );

    // 5. A running loop survives SIGKILL: it resumes after restart on its own.
    t0 = Date.now();
    await w.get('/arm?ms=300&loop=500&n=100&name=resilient');
    await witness.waitFor('alarm', 2, t0, 4000);
    await w.stop('SIGKILL');
    const down = Date.now();
    await sleep(1500);
    await w.start();
    fired = await witness.waitFor('alarm', 3, down, 6000);
    record(
      `[${tag}] running alarm loop resumes after SIGKILL + restart`,
      fired,
      `${witness.of('alarm', down).length} ticks in the 6 s after restart`,
    );

    // 6. An alarm handler that throws is retried (Cloudflare retries with backoff, up to 6 times).
    t0 = Date.now();
    await w.get('/arm?ms=200&fail=2&name=failing');
    fired = await witness.waitFor('alarm', 3, t0, 20_000);
    const tries = witness.of('alarm', t0);
    record(
      `[${tag}] a throwing alarm handler is retried`,
      tries.length >= 2,
      tries.map((t) => `+${t.at - tries[0].at} ms retryCount=${t.retry} isRetry=${t.isRetry}`).join('; '),
    );

    // 7. Storage wiped (a new emptyDir): the loop is gone until something arms it again.
    await w.stop('SIGKILL');
    rmSync(w.storage, { recursive: true, force: true });
    mkdirSync(w.storage);
    t0 = Date.now();
    await w.start();
    await sleep(2500);
    record(
      `[${tag}] alarms survive a wiped storage folder`,
      witness.of('alarm', t0).length > 0,
      `${witness.of('alarm', t0).length} ticks: alarm state lives in the storage folder only`,
    );
    await w.stop('SIGTERM');
  } catch (err) {
    console.log(w.log);
    throw err;
  } finally {
    if (w.child?.exitCode === null) await w.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function scheduledScenarios(witness, witnessUrl) {
  const { dir, w } = await setup(witnessUrl);
  try {
    const t0 = await w.start();
    for (const path of ['/__scheduled', '/cdn-cgi/handler/scheduled', '/cdn-cgi/mf/scheduled']) {
      const text = await w.get(path);
      const ranScheduled = witness.of('scheduled', t0).length > 0;
      record(`GET ${path} runs the scheduled handler`, ranScheduled, text.slice(0, 60));
    }
    const before = Date.now();
    const extra = JSON.parse(await w.get('/extra-handlers'));
    record(
      'Fetcher.scheduled() on a service binding runs the handler (no flag)',
      witness.of('scheduled', before).length > 0,
      JSON.stringify(extra),
    );
    if (!quick) {
      const idleFrom = Date.now();
      await sleep(65_000);
      record(
        'scheduled handler runs on its own within 65 s',
        witness.of('scheduled', idleFrom).length > 0,
        'the config schema has no cron field',
      );
    }
    await w.stop('SIGTERM');
  } finally {
    if (w.child?.exitCode === null) await w.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  // The same binding with the compatibility flag that exposes extra handlers on service bindings.
  const flagged = await setup(witnessUrl, { flags: ['service_binding_extra_handlers'], experimental: true });
  try {
    const t0 = await flagged.w.start();
    const extra = JSON.parse(await flagged.w.get('/extra-handlers'));
    record(
      'Fetcher.scheduled() with service_binding_extra_handlers (--experimental) runs the handler',
      witness.of('scheduled', t0).length > 0,
      JSON.stringify(extra),
    );
    await flagged.w.stop('SIGTERM');
  } catch (err) {
    record(
      'Fetcher.scheduled() with service_binding_extra_handlers (--experimental)',
      false,
      String(err).slice(0, 300),
    );
  } finally {
    if (flagged.w.child?.exitCode === null) await flagged.w.stop('SIGKILL');
    rmSync(flagged.dir, { recursive: true, force: true });
  }
}

const witness = new Witness();
const witnessUrl = await witness.start();
console.log(`workerd: ${WORKERD}`);
try {
  await alarmScenarios(witness, witnessUrl, true);
  await alarmScenarios(witness, witnessUrl, false);
  await scheduledScenarios(witness, witnessUrl);
} finally {
  witness.close();
}
