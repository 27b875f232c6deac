// Server CPU time per request, from /proc (Linux): robust to a busy machine where req/s alone mostly measures how
// much of the core the server was given. Ticks are 1/100 s, so a 5 s measurement resolves about 10 ms in total.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const TICK_MS = 10;

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
  const start = pids.map(cpuTicks);
  return () => pids.reduce((sum, pid, i) => sum + ((cpuTicks(pid) ?? start[i] ?? 0) - (start[i] ?? 0)) * TICK_MS, 0);
}
