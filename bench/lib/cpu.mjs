// Server CPU time, from /proc (Linux): robust to a busy machine where req/s alone mostly measures how much of the
// core the server was given. Nanosecond resolution from each thread's schedstat where the kernel has it (so a
// single request can be measured), else ticks of 1/100 s from the process's stat (about 10 ms in total over a
// 5 s measurement). A thread that ends during a measurement drops out of the schedstat sum; the servers measured
// here (workerd, the bridges, Redis, Node) keep their threads.
//
// Reusable for any measurement: `cpuMeter(pids)` around anything, or `measureServerCpu(pids, fn)` around a
// function that makes `n` requests (a scripted flow, a browser sign-in) for CPU per request.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10;

/** CPU time of a process in milliseconds (all its threads), or undefined when it is gone or not readable. */
export function cpuMs(pid) {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    }
    if (Number.isFinite(ns)) return ns / 1e6;
  } catch {
    // no schedstat: fall back to ticks
  }
  const ticks = cpuTicks(pid);
  return ticks === undefined ? undefined : ticks * TICK_MS;
}

/** user + system CPU time of a process in ticks, or undefined when it is gone or not readable. */
export function cpuTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** Pids of the machine's Redis server (it serves the platform's Redis work), best effort. */
export function redisServerPids() {
  try {
    return execFileSync('pgrep', ['-x', 'redis-server']).toString().trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Starts counting; the returned function gives milliseconds of CPU used by `pids` since. */
export function cpuMeter(pids) {
  const start = pids.map(cpuMs);
  return () => pids.reduce((sum, pid, i) => sum + ((cpuMs(pid) ?? start[i] ?? 0) - (start[i] ?? 0)), 0);
}

/**
 * Runs `fn` (which resolves to the number of requests it made) and measures the CPU `pids` used meanwhile.
 * @returns {Promise<{ requests: number, serverCpuMs: number, cpuUsPerRequest: number }>}
 */
export async function measureServerCpu(pids, fn) {
  const used = cpuMeter(pids);
  const requests = await fn();
  const serverCpuMs = used();
  return { requests, serverCpuMs, cpuUsPerRequest: requests > 0 ? (serverCpuMs * 1000) / requests : Number.NaN };
}
