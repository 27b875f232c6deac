/**
 * Where the keys are in each Redis command the REST bridge can forward.
 *
 * This table is the outer bound of every grant (redis-grants.ts): a command missing here cannot be granted at
 * all, and everything that reaches Redis has had each of its keys found here and checked. Commands that read or
 * write keys named outside their key arguments (SORT ... BY/GET, KEYS, SCAN without MATCH, MIGRATE, the FUNCTION
 * family), administer the server (CONFIG, FLUSHALL, DEBUG, SCRIPT ...), or change or take over the connection
 * (SELECT, AUTH, SUBSCRIBE, MONITOR, CLIENT, MULTI, WATCH) are left out on purpose: the shared pipelined
 * connections must stay in their initial state, and a key allow-list means nothing if a command can reach keys it
 * does not name.
 *
 * Arguments are counted from 0 = the command name. A key position the command does not have (too few
 * arguments) is refused here rather than forwarded: nothing goes to Redis whose keys were not all found.
 */

export type KeyRule =
  /** No key (PING, TIME). */
  | { kind: 'none' }
  /** One key at this position (GET key, XADD key ...). */
  | { kind: 'at'; index: number }
  /** Keys from `from` to the end, every `step`-th, leaving `trailing` arguments (MGET, MSET, BLPOP key... timeout). */
  | { kind: 'range'; from: number; step?: number; trailing?: number }
  /** EVAL/EVALSHA: the number of keys at position 2, the keys after it. */
  | { kind: 'numkeys' }
  /** XREAD/XREADGROUP: options, then STREAMS, then N keys and N ids. */
  | { kind: 'streams' }
  /** A container command whose subcommand (position 1) decides (XGROUP CREATE key ..., XINFO STREAM key). */
  | { kind: 'subcommand'; subcommands: Record<string, KeyRule> }
  /** SCAN: keyless, so only allowed with a MATCH pattern whose literal start lies inside the grant. */
  | { kind: 'scan' };

export interface CommandRule {
  keys: KeyRule;
  /** Blocks the connection (BLPOP, XREAD BLOCK): only inside /multi-exec, where Redis runs it without blocking. */
  blocking?: boolean;
}

const key1: CommandRule = { keys: { kind: 'at', index: 1 } };
const allKeys: CommandRule = { keys: { kind: 'range', from: 1 } };

const keyAt2: KeyRule = { kind: 'at', index: 2 };

function each(names: string[], rule: CommandRule): Record<string, CommandRule> {
  return Object.fromEntries(names.map((n) => [n, rule]));
}

function subcommands(names: string[], rule: KeyRule): KeyRule {
  return { kind: 'subcommand', subcommands: Object.fromEntries(names.map((n) => [n, rule])) };
}

export const COMMAND_RULES: Readonly<Record<string, CommandRule>> = {
  ...each(['PING', 'ECHO', 'TIME'], { keys: { kind: 'none' } }),
  // Strings
  ...each(
    [
      'GET',
      'SET',
      'SETNX',
      'SETEX',
      'PSETEX',
      'GETDEL',
      'GETEX',
      'INCR',
      'INCRBY',
      'INCRBYFLOAT',
      'DECR',
      'DECRBY',
      'APPEND',
      'STRLEN',
      'GETRANGE',
      'SETRANGE',
    ],
    key1,
  ),
  ...each(['MGET', 'DEL', 'UNLINK', 'EXISTS', 'TOUCH'], allKeys),
  ...each(['MSET', 'MSETNX'], { keys: { kind: 'range', from: 1, step: 2 } }),
  // Expiry and type
  ...each(['EXPIRE', 'PEXPIRE', 'EXPIREAT', 'PEXPIREAT', 'TTL', 'PTTL', 'PERSIST', 'TYPE'], key1),
  // Hashes
  ...each(
    [
      'HSET',
      'HSETNX',
      'HGET',
      'HMGET',
      'HGETALL',
      'HDEL',
      'HEXISTS',
      'HINCRBY',
      'HINCRBYFLOAT',
      'HLEN',
      'HKEYS',
      'HVALS',
    ],
    key1,
  ),
  // Lists
  ...each(['LPUSH', 'RPUSH', 'LPOP', 'RPOP', 'LRANGE', 'LLEN', 'LTRIM', 'LREM', 'LINDEX', 'LSET'], key1),
  ...each(['BLPOP', 'BRPOP'], { keys: { kind: 'range', from: 1, trailing: 1 }, blocking: true }),
  // Sets
  ...each(['SADD', 'SREM', 'SMEMBERS', 'SISMEMBER', 'SMISMEMBER', 'SCARD'], key1),
  // Sorted sets (sliding windows)
  ...each(
    [
      'ZADD',
      'ZREM',
      'ZCARD',
      'ZCOUNT',
      'ZSCORE',
      'ZINCRBY',
      'ZRANGE',
      'ZRANGEBYSCORE',
      'ZREVRANGEBYSCORE',
      'ZREMRANGEBYSCORE',
      'ZREMRANGEBYRANK',
      'ZRANK',
      'ZMSCORE',
    ],
    key1,
  ),
  // Streams
  ...each(['XADD', 'XLEN', 'XRANGE', 'XREVRANGE', 'XDEL', 'XTRIM', 'XACK', 'XPENDING', 'XCLAIM', 'XAUTOCLAIM'], key1),
  XREAD: { keys: { kind: 'streams' } },
  XREADGROUP: { keys: { kind: 'streams' } },
  XGROUP: { keys: subcommands(['CREATE', 'CREATECONSUMER', 'DELCONSUMER', 'DESTROY', 'SETID'], keyAt2) },
  XINFO: { keys: subcommands(['STREAM', 'GROUPS', 'CONSUMERS'], keyAt2) },
  // Scripts: which scripts, and how many keys each takes, is the grant's business (redis-access.ts).
  ...each(['EVAL', 'EVALSHA'], { keys: { kind: 'numkeys' } }),
  SCAN: { keys: { kind: 'scan' } },
};

/** A command the bridge cannot parse well enough to know its keys; refused, never forwarded. */
export class UnparsableCommand extends Error {}

/** The key arguments of `args` under `rule`. Throws UnparsableCommand when they cannot be determined. */
export function keysOf(rule: KeyRule, args: readonly string[]): string[] {
  const name = (args[0] ?? '').toUpperCase();
  const arity = () => new UnparsableCommand(`ERR wrong number of arguments for '${name.toLowerCase()}' command`);
  switch (rule.kind) {
    case 'none':
    case 'scan':
      return [];
    case 'at': {
      if (args.length <= rule.index) throw arity();
      return [args[rule.index] as string];
    }
    case 'range': {
      const step = rule.step ?? 1;
      const end = args.length - (rule.trailing ?? 0);
      if (end <= rule.from || (end - rule.from) % step !== 0) throw arity();
      const keys: string[] = [];
      for (let i = rule.from; i < end; i += step) keys.push(args[i] as string);
      return keys;
    }
    case 'numkeys': {
      const text = args[2] ?? '';
      if (!/^(0|[1-9][0-9]{0,5})$/.test(text))
        throw new UnparsableCommand('ERR numkeys must be a non-negative integer');
      const n = Number(text);
      if (args.length < 3 + n) throw new UnparsableCommand("ERR Number of keys can't be greater than number of args");
      return args.slice(3, 3 + n);
    }
    case 'streams':
      return streamKeys(name, args);
    case 'subcommand': {
      const sub = (args[1] ?? '').toUpperCase();
      const inner = rule.subcommands[sub];
      if (!inner) throw new UnparsableCommand(`ERR '${name} ${sub}' is not supported over REST`);
      return keysOf(inner, args);
    }
  }
}

/**
 * XREAD [COUNT n] [BLOCK ms] STREAMS key... id...
 * XREADGROUP GROUP group consumer [COUNT n] [BLOCK ms] [NOACK] STREAMS key... id...
 * The options are walked with their own arity, since a group or consumer may itself be named "STREAMS".
 */
function streamKeys(name: string, args: readonly string[]): string[] {
  let i = 1;
  for (;;) {
    const word = (args[i] ?? '').toUpperCase();
    if (word === 'STREAMS') break;
    if (word === 'GROUP' && name === 'XREADGROUP') i += 3;
    else if (word === 'COUNT' || word === 'BLOCK') i += 2;
    else if (word === 'NOACK' && name === 'XREADGROUP') i += 1;
    else throw new UnparsableCommand(`ERR syntax error in '${name.toLowerCase()}' before STREAMS`);
    if (i >= args.length) throw new UnparsableCommand(`ERR '${name.toLowerCase()}' needs STREAMS`);
  }
  const rest = args.slice(i + 1);
  if (rest.length === 0 || rest.length % 2 !== 0) {
    throw new UnparsableCommand(
      "ERR Unbalanced 'xread' list of streams: for each stream key an ID or '$' must be specified.",
    );
  }
  return rest.slice(0, rest.length / 2);
}

/** True when the command would block the connection it runs on. */
export function isBlocking(rule: CommandRule, args: readonly string[]): boolean {
  if (rule.blocking) return true;
  if (rule.keys.kind !== 'streams') return false;
  // Options precede STREAMS; after it every argument is a key or an id, and may be literally named "block".
  const name = (args[0] ?? '').toUpperCase();
  for (let i = 1; i < args.length; i++) {
    const word = (args[i] ?? '').toUpperCase();
    if (word === 'STREAMS') return false;
    if (word === 'GROUP' && name === 'XREADGROUP') i += 2;
    else if (word === 'COUNT') i += 1;
    else if (word === 'BLOCK') return true;
  }
  return false;
}
