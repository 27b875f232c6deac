// Child processes for the benchmark: every server is pinned to the server core and every load generator to the
// load core, with `taskset`, so they never compete for one core (the machine has two).
import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';

export const SERVER_CPU = process.env.BENCH_SERVER_CPU ?? '1';
export const LOAD_CPU = process.env.BENCH_LOAD_CPU ?? '0';

/** `taskset -c CPU` prefix, or none when taskset is unavailable (then results are not comparable: say so). */
export function pinned(cpu) {
  return process.platform === 'linux' ? ['taskset', '-c', String(cpu)] : [];
}

/**
 * Spawns `cmd args` pinned to `cpu`. Output is kept (last 200 lines) for error reports.
 * @returns {{ child, stop(): Promise<void>, logs(): string, exited: Promise<number|null> }}
 */
export function spawnPinned(cpu, cmd, args, { env = {}, cwd, onLine } = {}) {
  const [bin, ...rest] = [...pinned(cpu), cmd, ...args];
  const child = spawn(bin, rest, {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail = [];
  const collect = (chunk) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue;
      tail.push(line);
      if (tail.length > 200) tail.shift();
      onLine?.(line);
    }
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  return { child, stop, logs: () => tail.join('\n'), exited };
}

/** Waits until GET url answers 2xx, or throws with the process output. */
export async function waitForHttp(url, proc, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc && proc.child.exitCode !== null) throw new Error(`process exited (${proc.child.exitCode}) before ${url} answered:\n${proc.logs()}`);
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
