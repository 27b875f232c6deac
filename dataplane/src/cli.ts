/**
 * Shared pieces of the container entrypoints: JSON-line logging, env parsing and signal-driven
 * shutdown. Kept apart from the bridges so that importing a bridge never installs signal handlers.
 */
import { describeError, type LogFn } from './log.js';
import { type HostPort, parseHostPort } from './net-util.js';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** One JSON object per line on stdout; entries below LOG_LEVEL (default info) are dropped. */
export function jsonLineLogger(service: string, minLevel = process.env.LOG_LEVEL ?? 'info'): LogFn {
  const threshold = Math.max(0, LEVELS.indexOf(minLevel as (typeof LEVELS)[number]));
  return (entry) => {
    const level = typeof entry.level === 'string' ? entry.level : 'info';
    if (LEVELS.indexOf(level as (typeof LEVELS)[number]) < threshold) return;
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), service, ...entry, level })}\n`);
  };
}

/** Thrown for a bad environment; the entrypoint prints it and exits with status 2. */
export class ConfigError extends Error {}

export function envListen(name: string, fallback: string): HostPort {
  const value = process.env[name]?.trim() || fallback;
  const parsed = parseHostPort(value);
  if (!parsed) throw new ConfigError(`${name} must be host:port (e.g. ${fallback}), got "${value}"`);
  return parsed;
}

export function envRequired(name: string, hint: string): string {
  const value = process.env[name]?.trim();
  if (!value) throw new ConfigError(`${name} is required: ${hint}`);
  return value;
}

export function envInt(name: string, fallback: number | undefined): number | undefined {
  const value = process.env[name]?.trim();
  if (!value) return fallback;
  if (!/^[0-9]+$/.test(value)) throw new ConfigError(`${name} must be a non-negative integer, got "${value}"`);
  return Number(value);
}

/**
 * Runs `start`, then waits for SIGINT/SIGTERM and calls the returned close function. A second
 * signal, or a close that takes longer than `graceMs`, exits immediately. Startup failures and
 * uncaught errors are logged as JSON and end the process with a non-zero status, so the
 * orchestrator restarts it.
 */
export function runService(log: LogFn, start: () => Promise<() => Promise<void>>, graceMs = 15_000): void {
  const fail = (msg: string, err: unknown, code: number) => {
    log({ level: 'error', msg, error: describeError(err) });
    process.exit(code);
  };
  process.on('uncaughtException', (err) => fail('uncaught exception', err, 1));
  process.on('unhandledRejection', (err) => fail('unhandled rejection', err, 1));

  start().then(
    (close) => {
      let stopping = false;
      const onSignal = (signal: NodeJS.Signals) => {
        if (stopping) {
          log({ level: 'warn', msg: 'second signal, exiting now', signal });
          process.exit(1);
        }
        stopping = true;
        log({ level: 'info', msg: 'shutting down', signal });
        setTimeout(() => {
          log({ level: 'error', msg: `shutdown took longer than ${graceMs} ms, exiting` });
          process.exit(1);
        }, graceMs).unref();
        close().then(
          () => process.exit(0),
          (err) => fail('shutdown failed', err, 1),
        );
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    },
    (err) =>
      fail(
        err instanceof ConfigError ? 'invalid configuration' : 'startup failed',
        err,
        err instanceof ConfigError ? 2 : 1,
      ),
  );
}
