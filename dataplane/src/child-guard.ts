/**
 * Spawning server processes that do not outlive their parent.
 *
 * Linux offers PR_SET_PDEATHSIG for this, but Node cannot call prctl. The cheap substitute used
 * here is a watchdog: a tiny `sh` that blocks reading a pipe whose only writer is this process.
 * However the parent ends (normal exit, crash, SIGKILL, OOM kill), the kernel closes the pipe,
 * `read` returns, and the watchdog sends the stop signal to the server. It costs one idle shell
 * per server and no polling. A normal stop() kills the watchdog first, so it can never signal a
 * recycled PID later.
 *
 * Servers run in their own process group (detached), so a Ctrl-C in the terminal reaches the
 * parent only and the parent decides the shutdown order.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface GuardedSpawnOptions {
  /** Run as this user and group (only possible when the parent is root). */
  uid?: number;
  gid?: number;
  env?: NodeJS.ProcessEnv;
  /** Signal that shuts the server down cleanly (SIGINT = Postgres fast shutdown, SIGTERM for Redis). */
  stopSignal: NodeJS.Signals;
  /** Receives every stdout/stderr line of the server. */
  onLine?: (line: string) => void;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface GuardedChild {
  pid: number;
  /** Settles when the server process has exited. */
  exited: Promise<ExitInfo>;
  hasExited(): boolean;
  /** The last lines the server printed (bounded), for error messages. */
  recentOutput(): string;
  /** Sends the stop signal, waits up to `timeoutMs`, then SIGKILLs. Idempotent. */
  stop(timeoutMs: number): Promise<ExitInfo>;
}

const KEEP_LINES = 40;

export function spawnGuarded(command: string, args: string[], opts: GuardedSpawnOptions): GuardedChild {
  const child: ChildProcess = spawn(command, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    uid: opts.uid,
    gid: opts.gid,
    env: opts.env ?? process.env,
  });
  const lines: string[] = [];
  const onLine = (line: string) => {
    lines.push(line);
    if (lines.length > KEEP_LINES) lines.shift();
    opts.onLine?.(line);
  };
  if (child.stdout) createInterface({ input: child.stdout }).on('line', onLine);
  if (child.stderr) createInterface({ input: child.stderr }).on('line', onLine);

  let exitInfo: ExitInfo | null = null;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
    child.once('error', (err) => {
      onLine(`spawn failed: ${err.message}`);
      exitInfo = { code: null, signal: null };
      resolve(exitInfo);
    });
  });

  const pid = child.pid ?? -1;
  const watchdog = pid > 0 ? startWatchdog(pid, opts.stopSignal) : null;
  // Last line of defence for ordinary exits where stop() was never awaited: process 'exit'
  // handlers must be synchronous, and kill() is.
  const onParentExit = () => {
    if (!exitInfo) child.kill(opts.stopSignal);
  };
  process.once('exit', onParentExit);
  void exited.then(() => {
    watchdog?.kill('SIGKILL');
    process.off('exit', onParentExit);
  });

  let stopping: Promise<ExitInfo> | null = null;
  return {
    pid,
    exited,
    hasExited: () => exitInfo !== null,
    recentOutput: () => lines.join('\n'),
    stop(timeoutMs) {
      stopping ??= (async () => {
        watchdog?.kill('SIGKILL');
        if (exitInfo) return exitInfo;
        child.kill(opts.stopSignal);
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        const info = await exited;
        clearTimeout(timer);
        return info;
      })();
      return stopping;
    },
  };
}

function startWatchdog(pid: number, signal: NodeJS.Signals): ChildProcess | null {
  try {
    const watchdog = spawn(
      '/bin/sh',
      [
        '-c',
        'read _ignored; kill -s "$1" "$2" 2>/dev/null',
        'server-watchdog',
        signal.replace(/^SIG/, ''),
        String(pid),
      ],
      {
        detached: true,
        stdio: ['pipe', 'ignore', 'ignore'],
      },
    );
    watchdog.on('error', () => {});
    watchdog.stdin?.on('error', () => {});
    // Neither the watchdog nor its pipe should keep the parent's event loop alive.
    watchdog.unref();
    (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    return watchdog;
  } catch {
    return null;
  }
}
