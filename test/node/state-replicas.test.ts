/**
 * The keyed-state store on Kubernetes: two workerd processes (the test-only state Worker, bundled by wrangler and
 * run under the real workerd binary, each with its own Durable Object storage folder as each pod has its own
 * emptyDir) behind a round-robin proxy, on the machine's real Redis through the Upstash-protocol bridge.
 *
 * - STATE_BACKEND=redis: single-use documents have exactly one winner and increments sum exactly, across both
 *   processes, under concurrency from outside (through the proxy) and inside (bursts in each isolate at once).
 * - The control: the same two processes on the Durable Object backend (per process under workerd) break both
 *   guarantees, which is why Kubernetes must run with STATE_BACKEND=redis, and what makes these tests able to fail.
 * - One replica SIGKILLed in the middle of a run: no acknowledged update is lost or applied twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, WORKERD_BIN } from '../../scripts/lib/platform.mjs';
import { buildStateWorker } from '../../shared/state/test/state-worker-build.mjs';
import { startTestDataPlane, type TestDataPlane } from './harness.js';
import { WorkerdProcess } from './k8s-cluster.js';
import { RoundRobinProxy } from './k8s-proxy.js';

type Backend = 'redis' | 'durable-object';

describe('keyed state across two workerd replicas', () => {
  let dp: TestDataPlane;
  let tmp: string;
  let config: string;
  let proxy: RoundRobinProxy;
  let replicaA: WorkerdProcess;
  let replicaB: WorkerdProcess;
  let env: Record<string, string>;
  const report: string[] = [];

  async function startReplica(label: string, port: number): Promise<WorkerdProcess> {
    const doDir = join(tmp, `${label}-do`);
    const argv = [
      WORKERD_BIN,
      'serve',
      config,
      '--socket-addr',
      `http=127.0.0.1:${port}`,
      '--directory-path',
      `do-storage=${doDir}`,
    ];
    const proc = new WorkerdProcess(label, argv, env, `http://127.0.0.1:${port}`, doDir);
    await proc.start();
    return proc;
  }

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'state-replicas-'));
    config = await buildStateWorker(join(tmp, 'build'));
    dp = await startTestDataPlane();
    env = {
      // Selected by configuration, as a Kubernetes ConfigMap would; requests below name no backend.
      STATE_BACKEND: 'redis',
      // Generous, so that on a loaded machine a slow answer is not taken for a lost one (an operation that times
      // out may or may not have been applied, which would blur the exact counts below).
      STATE_TIMEOUT_MS: '20000',
      UPSTASH_REDIS_REST_URL: dp.redisRestUrl,
      // The test-only state Worker's own token: the bridge grants it the keyed-state script on state:* only.
      UPSTASH_REDIS_REST_TOKEN: dp.redisTokens['state-tests'] as string,
      REDIS_KEY_PREFIX: dp.redisPrefix,
    };
    const [portA, portB] = [await freePort(), await freePort()];
    [replicaA, replicaB] = await Promise.all([startReplica('state-a', portA), startReplica('state-b', portB)]);
    proxy = new RoundRobinProxy([
      { name: 'state-a', host: '127.0.0.1', port: portA },
      { name: 'state-b', host: '127.0.0.1', port: portB },
    ]);
    await proxy.start();
  }, 120_000);

  afterAll(async () => {
    console.log(`state replicas:\n  ${report.join('\n  ')}`);
    await replicaA?.stop('SIGKILL');
    await replicaB?.stop('SIGKILL');
    await proxy?.stop();
    await dp?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  async function post(base: string, path: string, body: Record<string, unknown>) {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, upstream: res.headers.get('x-upstream'), body: (await res.json()) as any };
  }

  const apply = (base: string, body: Record<string, unknown>) => post(base, '/apply', body);

  /** `n` requests through the proxy, `concurrency` at a time. */
  async function drive<T>(n: number, concurrency: number, one: (i: number) => Promise<T>): Promise<T[]> {
    const out: T[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < n) {
          const i = next++;
          out[i] = await one(i);
        }
      }),
    );
    return out;
  }

  /** Consumers racing for one single-use document: 40 through the proxy, plus a burst of 25 inside each isolate. */
  async function consumeRace(backend: Backend | undefined, key: string) {
    const over = backend ? { backend } : {};
    const issued = await apply(replicaA.url, { machine: 'once', op: 'issue', key, args: 60_000, ...over });
    expect(issued.status).toBe(200);
    const burst = (r: WorkerdProcess) =>
      post(r.url, '/burst', { machine: 'once', op: 'consume', key, args: r.label, n: 25, ...over });
    const [viaProxy, burstA, burstB] = await Promise.all([
      drive(40, 40, (i) => apply(proxy.url, { machine: 'once', op: 'consume', key, args: `p${i}`, ...over })),
      burst(replicaA),
      burst(replicaB),
    ]);
    const all = [...viaProxy.map((r) => r.body.result), ...burstA.body.results, ...burstB.body.results];
    const failures = [...viaProxy.filter((r) => r.status !== 200), burstA.body.errors, burstB.body.errors];
    const upstreams = new Set(viaProxy.map((r) => r.upstream));
    return {
      winners: all.filter((r) => r?.won).length,
      missing: all.filter((r) => r?.reason === 'missing').length,
      answered: all.length,
      failures,
      upstreams,
    };
  }

  it('selects the backend from STATE_BACKEND', async () => {
    for (const r of [replicaA, replicaB]) {
      const res = await fetch(`${r.url}/stats`);
      expect(((await res.json()) as { backend: string }).backend).toBe('redis');
    }
  });

  it('redis: each single-use document has exactly one winner across both processes', async () => {
    for (let round = 0; round < 5; round++) {
      const r = await consumeRace(undefined, `code-${round}`);
      expect(r.upstreams).toEqual(new Set(['state-a', 'state-b']));
      expect(r.answered).toBe(90);
      expect(r.winners).toBe(1);
      expect(r.missing).toBe(0); // every process sees the document the other issued
      if (round === 0) report.push(`redis, consume once: ${r.winners} winner of ${r.answered} (5 rounds alike)`);
    }
  });

  it('redis: concurrent increments from both processes sum exactly', async () => {
    const key = 'hits';
    const burst = (r: WorkerdProcess) => post(r.url, '/burst', { machine: 'counter', op: 'add', key, args: 1, n: 25 });
    const [viaProxy, burstA, burstB] = await Promise.all([
      drive(50, 10, () => apply(proxy.url, { machine: 'counter', op: 'add', key, args: 1 })),
      burst(replicaA),
      burst(replicaB),
    ]);
    // A write that cannot settle within the retry budget is refused with a clean 503 (contended) and not applied;
    // on a loaded machine a few of 60 concurrent writers on one key may be. Everything acknowledged adds up exactly.
    const refused = [
      ...viaProxy.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.body.reason ?? r.body.error}`),
      ...Object.entries({ ...burstA.body.errors }).flatMap(([k, n]) => Array(n as number).fill(`503 ${k}`)),
      ...Object.entries({ ...burstB.body.errors }).flatMap(([k, n]) => Array(n as number).fill(`503 ${k}`)),
    ];
    expect(
      refused.every((r) => r === '503 contended'),
      refused.join(', '),
    ).toBe(true);
    expect(refused.length).toBeLessThanOrEqual(10);
    const results: number[] = [
      ...viaProxy.filter((r) => r.status === 200).map((r) => r.body.result),
      ...burstA.body.results,
      ...burstB.body.results,
    ];
    expect(results.length + refused.length).toBe(100);
    // Every acknowledged increment saw a distinct value, 1..acknowledged: none lost, none doubled.
    expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: results.length }, (_, i) => i + 1));
    for (const r of [replicaA, replicaB]) {
      expect((await apply(r.url, { machine: 'counter', op: 'get', key })).body.result).toBe(results.length);
    }
    report.push(
      `redis, 100 increments (50 via proxy, 10 at a time, + a 25-way burst in each isolate): ${results.length} acknowledged, total ${results.length} on both replicas, ${refused.length} refused 503 contended; bursts of 25 took ${Math.round(burstA.body.ms)} / ${Math.round(burstB.body.ms)} ms`,
    );
  });

  it('control: the same processes on per-process Durable Objects give two winners and split counts', async () => {
    const r = await consumeRace('durable-object', 'code-do');
    expect(r.upstreams).toEqual(new Set(['state-a', 'state-b']));
    // Issued through replica A, the document exists only in A's storage: B's consumers are told it is missing.
    expect(r.missing).toBeGreaterThan(0);
    // Issued on both, each process has its own copy and each gives one winner: two in all.
    const r2key = 'code-do-2';
    for (const rep of [replicaA, replicaB]) {
      expect(
        (await apply(rep.url, { machine: 'once', op: 'issue', key: r2key, args: 60_000, backend: 'durable-object' }))
          .body.result,
      ).toBe(true); // "created": neither process sees the other's document
    }
    const both = await Promise.all(
      [replicaA, replicaB].map((rep) =>
        post(rep.url, '/burst', {
          machine: 'once',
          op: 'consume',
          key: r2key,
          args: rep.label,
          n: 25,
          backend: 'durable-object',
        }),
      ),
    );
    const winners = both.flatMap((b) => b.body.results).filter((x: { won: boolean }) => x.won).length;
    expect(winners).toBe(2);

    const key = 'hits-do';
    await drive(100, 20, () =>
      apply(proxy.url, { machine: 'counter', op: 'add', key, args: 1, backend: 'durable-object' }),
    );
    const counts = await Promise.all(
      [replicaA, replicaB].map(
        async (rep) =>
          (await apply(rep.url, { machine: 'counter', op: 'get', key, backend: 'durable-object' })).body
            .result as number,
      ),
    );
    expect(counts[0]).toBeLessThan(100);
    expect(counts[1]).toBeLessThan(100);
    expect((counts[0] as number) + (counts[1] as number)).toBe(100);
    report.push(
      `control, Durable Objects per process: ${r.missing} of ${r.answered} consumers told an issued document is missing; ${winners} winners for one single-use document issued on both; 100 increments read as ${counts[0]} on A and ${counts[1]} on B`,
    );
  });

  it('redis: a replica SIGKILLed mid-run loses no acknowledged update and doubles none', async () => {
    const key = 'ledger-kill';
    const acked = new Set<string>();
    const failed = new Set<string>();
    const failures: Record<string, number> = {};
    let killedAt = -1;
    const total = 600;
    await drive(total, 16, async (i) => {
      const id = `op-${i}`;
      if (i === 150 && killedAt < 0) {
        killedAt = i;
        void replicaB.stop('SIGKILL');
      }
      try {
        const r = await apply(proxy.url, { machine: 'ledger', op: 'append', key, args: id });
        if (r.status === 200) acked.add(id);
        else {
          failed.add(id);
          const kind = `${r.status} ${r.body.reason ?? r.body.error}`;
          failures[kind] = (failures[kind] ?? 0) + 1;
        }
      } catch (err) {
        failed.add(id);
        failures[String(err)] = (failures[String(err)] ?? 0) + 1;
      }
    });
    const ledgerIds: string[] = (await apply(replicaA.url, { machine: 'ledger', op: 'get', key })).body.result;
    const counts = new Map<string, number>();
    for (const id of ledgerIds) counts.set(id, (counts.get(id) ?? 0) + 1);
    const doubled = [...counts].filter(([, c]) => c > 1);
    const lost = [...acked].filter((id) => !counts.has(id));
    const unknown = [...counts.keys()].filter((id) => !acked.has(id) && !failed.has(id));
    const appliedUnacked = [...failed].filter((id) => counts.has(id));
    expect(killedAt).toBe(150);
    expect(replicaB.running).toBe(false);
    expect(doubled).toEqual([]);
    expect(lost).toEqual([]);
    expect(unknown).toEqual([]);
    expect(acked.size + failed.size).toBe(total);
    expect(acked.size).toBeGreaterThan(total / 2); // the survivor kept serving
    report.push(
      `SIGKILL of replica B after 150 of ${total} appends: ${acked.size} acknowledged (all present once), ${failed.size} failed ${JSON.stringify(failures)} (${appliedUnacked.length} of those applied before the answer was lost), 0 doubled, 0 lost; proxy: ${proxy.failedAfterSend} failed after send, ${proxy.retried} moved before send`,
    );

    // The restarted replica sees the same ledger: the state was never in the process.
    await replicaB.start();
    const again: string[] = (await apply(replicaB.url, { machine: 'ledger', op: 'get', key })).body.result;
    expect(again).toEqual(ledgerIds);
  });
});
