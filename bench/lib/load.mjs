// Load generation: autocannon (HTTP/1.1 keep-alive, fixed concurrency, no pipelining) in a child process pinned to
// the load core. One call = one measurement.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuMeter } from './cpu.mjs';
import { LOAD_CPU, spawnPinned } from './proc.mjs';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'load-worker.mjs');

export const LOAD_DEFAULTS = {
  connections: Number(process.env.BENCH_CONNECTIONS ?? 16),
  durationSec: Number(process.env.BENCH_DURATION ?? 5),
  warmupSec: Number(process.env.BENCH_WARMUP ?? 1),
};

/**
 * @param {{ url: string, method?: string, headers?: Record<string,string>, body?: string, rotate?: object,
 *   cycle?: object, okStatus?: number[] }} request  rotate, cycle, okStatus: lib/load-worker.mjs
 * @param {{ connections?: number, durationSec?: number, warmupSec?: number, serverPids?: number[] }} [opts]
 *   serverPids: processes whose CPU time is the server's, reported as `cpuUsPerRequest` (measured run only)
 * @returns {Promise<{ rps: number, p50: number, p99: number, errors: number, timeouts: number, non2xx: number,
 *   requests: number, statusCodes: Record<string, {count: number}> }>}  latencies in milliseconds
 */
export async function runLoad(request, opts = {}) {
  const { serverPids = [], ...rest } = opts;
  const spec = { ...LOAD_DEFAULTS, ...rest, ...request };
  // The spec goes through a file: a pool of tokens (rotate, cycle) can be megabytes, and Linux caps one argument at
  // 128 KiB.
  const dir = mkdtempSync(join(tmpdir(), 'bench-load-'));
  const specFile = join(dir, 'spec.json');
  writeFileSync(specFile, JSON.stringify(spec));
  // One load process: warm-up, then the measured run; server CPU is counted from the WARMED marker on.
  let cpuMs = () => Number.NaN;
  const proc = spawnPinned(LOAD_CPU, process.execPath, [WORKER, specFile], {
    env: { NODE_OPTIONS: '' },
    onLine: (line) => {
      if (line === 'WARMED') cpuMs = cpuMeter(serverPids);
    },
  });
  const code = await proc.exited.finally(() => rmSync(dir, { recursive: true, force: true }));
  const used = cpuMs();
  const line = proc
    .logs()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (code !== 0 || !line) throw new Error(`load generator failed (exit ${code}):\n${proc.logs()}`);
  const result = JSON.parse(line);
  result.serverCpuMs = used;
  result.cpuUsPerRequest = serverPids.length && result.requests > 0 ? (used * 1000) / result.requests : Number.NaN;
  return result;
}
