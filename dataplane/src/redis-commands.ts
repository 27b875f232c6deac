/**
 * Which Redis commands the REST bridge will forward.
 *
 * Plain commands and pipelines share pipelined pool connections, so a command that changes the
 * state of its connection (SELECT, AUTH, HELLO, MULTI, CLIENT REPLY ...), turns it into a push
 * stream (SUBSCRIBE, MONITOR) or parks it (BLPOP, XREAD BLOCK ...) would corrupt or stall every
 * other request on that connection. Those are refused with an error reply instead.
 * Inside /multi-exec the connection is dedicated and blocking commands do not block (Redis runs
 * them non-blocking inside MULTI), so only the state-changing ones are refused there.
 */

export type CommandContext = 'shared' | 'transaction';

const TAKES_OVER_CONNECTION = new Set([
  'SUBSCRIBE',
  'PSUBSCRIBE',
  'SSUBSCRIBE',
  'UNSUBSCRIBE',
  'PUNSUBSCRIBE',
  'SUNSUBSCRIBE',
  'MONITOR',
  'SYNC',
  'PSYNC',
  'REPLCONF',
]);

const CHANGES_CONNECTION_STATE = new Set(['SELECT', 'QUIT', 'RESET', 'HELLO', 'AUTH']);

const TRANSACTION_CONTROL = new Set(['MULTI', 'EXEC', 'DISCARD', 'WATCH', 'UNWATCH']);

/** Commands that stop or re-role the server; the bridge's own connections would break. */
const SERVER_DISRUPTING = new Set(['SHUTDOWN', 'DEBUG', 'REPLICAOF', 'SLAVEOF', 'FAILOVER']);

const BLOCKING = new Set([
  'BLPOP',
  'BRPOP',
  'BRPOPLPUSH',
  'BLMOVE',
  'BLMPOP',
  'BZPOPMIN',
  'BZPOPMAX',
  'BZMPOP',
  'WAIT',
  'WAITAOF',
]);

/** CLIENT subcommands that only read information; every other one touches connection state. */
const CLIENT_READ_ONLY = new Set(['ID', 'INFO', 'LIST', 'GETNAME', 'HELP', 'TRACKINGINFO', 'GETREDIR']);

/**
 * Returns an error message ("ERR ...") when the command must not be forwarded in `context`,
 * or null when it may be sent.
 */
export function refusalFor(args: readonly string[], context: CommandContext): string | null {
  const name = (args[0] ?? '').toUpperCase();
  if (TAKES_OVER_CONNECTION.has(name)) {
    return `ERR '${name}' is not supported over REST: it would take over the shared Redis connection`;
  }
  if (CHANGES_CONNECTION_STATE.has(name)) {
    return `ERR '${name}' is not supported over REST: it would change the state of a shared Redis connection`;
  }
  if (TRANSACTION_CONTROL.has(name)) {
    return `ERR '${name}' is not supported over REST: send the commands of a transaction to /multi-exec`;
  }
  if (SERVER_DISRUPTING.has(name)) {
    return `ERR '${name}' is not supported over REST`;
  }
  if (name === 'CLIENT') {
    const sub = (args[1] ?? '').toUpperCase();
    if (!CLIENT_READ_ONLY.has(sub)) {
      return `ERR 'CLIENT ${sub}' is not supported over REST: it would change the state of a shared Redis connection`;
    }
  }
  if (context === 'shared' && isBlocking(name, args)) {
    return `ERR blocking '${name}' is not supported over REST: use the non-blocking form`;
  }
  return null;
}

function isBlocking(name: string, args: readonly string[]): boolean {
  if (BLOCKING.has(name)) return true;
  if (name === 'XREAD' || name === 'XREADGROUP') {
    // Options come before STREAMS; after it, every argument is a key or an ID and may be
    // literally named "block", so the scan stops there.
    for (let i = 1; i < args.length; i++) {
      const word = (args[i] ?? '').toUpperCase();
      if (word === 'STREAMS') return false;
      if (word === 'BLOCK') return true;
    }
  }
  return false;
}
