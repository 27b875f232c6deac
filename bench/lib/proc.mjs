// Child processes for the benchmark: every server is pinned to the server core and every load generator to the
// load core, with `taskset`, so they never compete for one core (the machine has two).
import { spawnLogged } from '../../scripts/lib/platform.mjs';
import { createConnection } from 'node:net';

export const SERVER_CPU = process.env.BENCH_SERVER_CPU ?? '1';
export const LOAD_CPU = process.env.BENCH_LOAD_CPU ?? '0';
export const DATA_CPU = process.env.BENCH_DATA_CPU ?? SERVER_CPU;

/** `taskset -c CPU` prefix, or none when taskset is unavailable (then results are not comparable: say so). */
export function pinned(cpu) {
  return process.platform === 'linux' ? ['taskset', '-c', String(cpu)] : [];
}

/**
 * Spawns `cmd args` pinned to `cpu`. Output is kept (last 200 lines) for error reports.
 * @returns {{ child, stop(): Promise<void>, logs(): string, exited: Promise<number|null> }}
 */
export function spawnPinned(cpu, cmd, args, { env = {}, cwd, onLine } = {}) {
  return spawnLogged([...pinned(cpu), cmd, ...args], { env, cwd, onLine });
}

/** Waits until GET url answers 2xx, or throws with the process output. */
export async function waitForHttp(url, proc, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc && proc.child.exitCode !== null)
      throw new Error(`process exited (${proc.child.exitCode}) before ${url} answered:\n${proc.logs()}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer in ${timeoutMs} ms:\n${proc?.logs() ?? ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until a TCP port accepts connections. */
export async function waitForPort(host, port, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = createConnection({ host, port }, () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${host}:${port} did not accept connections in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
