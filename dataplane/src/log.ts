/**
 * Logging contract shared by the data-plane modules.
 *
 * Every module takes an optional `log` callback that receives one plain object per event. The
 * CLI entrypoints turn these into JSON lines; tests and embedders can capture or drop them.
 * Keeping the contract this small means no logging library is needed in the Workers repo.
 */
export type LogFn = (entry: Record<string, unknown>) => void;

export const silentLog: LogFn = () => {};

/** A short, single-line description of any thrown value, safe to put in a log entry or a reply. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/** Wraps a caller-supplied log function so that a throwing logger can never take a bridge down. */
export function safeLog(log: LogFn | undefined): LogFn {
  if (!log) return silentLog;
  return (entry) => {
    try {
      log(entry);
    } catch {
      // A broken logger must not turn into a crashed connection handler.
    }
  };
}
