/**
 * What each Worker may do in Redis through the REST bridge: the one place to extend when a Worker starts using a new
 * command, key or script. Each Worker has its own token (REDIS_BRIDGE_TOKEN_<WORKER> on the bridge, the Worker's
 * UPSTASH_REDIS_REST_TOKEN), and the bridge runs a command only when
 *
 *   - the command is in the grant (and in redis-command-keys.ts, which knows where its keys are),
 *   - every key it names matches one of the grant's key patterns under the deployment's REDIS_KEY_PREFIX,
 *   - for EVAL/EVALSHA, the script is one of the grant's registered scripts (by SHA-1 of its body) and is given
 *     exactly its number of keys: arbitrary Lua could call any command on any key, so it is never allowed.
 *
 * Key patterns are relative to REDIS_KEY_PREFIX: `name` is that exact key, `name*` every key starting with `name`.
 * The same limits as a Redis ACL user, for production Redis behind the bridge: k8s-fallback/README.md.
 */

export interface RedisScript {
  /** SHA-1 (hex) of the exact script body, as Redis computes it for EVALSHA. */
  sha1: string;
  /** How many KEYS the script takes; the command must pass exactly this many. */
  keys: number;
  /** Commands the script itself runs (redis.call): a Redis ACL user must allow them too (README, Redis ACL). */
  calls: readonly string[];
  /** Where the body lives, for whoever changes it (the SHA-1 changes with every edit). */
  source: string;
}

export interface RedisGrant {
  /** Upper-case command names. */
  commands: readonly string[];
  /** Key patterns relative to the key prefix: exact names, or a prefix ending in `*`. */
  keys: readonly string[];
  scripts?: readonly RedisScript[];
}

/** Scripts the Workers run. Editing a script's body changes its SHA-1: update it here in the same change. */
export const REDIS_SCRIPTS = {
  tokenBucket: {
    sha1: 'e05ff4cf151f5bf540c9cd23065e975231c40807',
    keys: 1,
    calls: ['TIME', 'GET', 'SET'],
    source: 'shared/rate-limit/storage/redis-script.ts (TOKEN_BUCKET_LUA)',
  },
  policyGenerationRaise: {
    sha1: '99470da4a2cd017d8e15e7bdc27e6818dcf7a6dc',
    keys: 1,
    calls: ['GET', 'SET'],
    source: 'workers/policy/src/storage/generation-signal.ts (RAISE)',
  },
  keyedState: {
    sha1: '6df1ecf1b940b6e5ef3b48e387b03cfb2bcca11d',
    keys: 1,
    calls: ['TIME', 'GET', 'SET', 'DEL'],
    source: 'shared/state/redis-script.ts (STATE_SCRIPT, STATE_SCRIPT_SHA1)',
  },
} as const satisfies Record<string, RedisScript>;

/** The security-events stream a Worker appends its events to (shared/events/sink.ts). */
const SECURITY_EVENTS = 'security-events';

/**
 * What a Worker hosting keyed state (shared/state, STATE_BACKEND=redis) needs: its one script, on `state:*`. A Worker
 * gets it when it starts keeping such state (auth: authorization codes, sessions, refresh-token families next).
 */
export const KEYED_STATE_GRANT = {
  commands: ['EVALSHA', 'EVAL'], // the store calls EVALSHA, then EVAL on NOSCRIPT
  keys: ['state:*'],
  scripts: [REDIS_SCRIPTS.keyedState],
} as const satisfies RedisGrant;

export const WORKER_REDIS_GRANTS = {
  auth: {
    commands: [
      'PING', // /ready
      'GET', // signing-keys version, denylist rebuild lock check
      'MGET', // client and account cache reads (version + record)
      'SET', // client and account cache fill and invalidation (EX, NX), signing-keys version, denylist rebuild lock (NX PX)
      'ZMSCORE', // revocation denylist read (jti and completeness marker, one command)
      'ZADD', // revocation denylist write and rebuild
      'ZREMRANGEBYSCORE', // expired denylist members
      'XADD', // security events (MAXLEN ~), the denylist's change log (MAXLEN ~)
      'XRANGE', // the denylist's change log from the isolate's cursor
      'XREVRANGE', // its tip, on an isolate's first read
      'EVALSHA', // rate limiter and keyed state (EVALSHA, then EVAL on NOSCRIPT)
      'EVAL',
    ],
    keys: [
      'client:*',
      'client-version:*',
      'account:*', // the account cache (accounts/storage/account-cache.ts), as the client cache
      'account-version:*',
      'keys:version',
      'revoked', // the denylist (a sorted set with its completeness marker)
      'revoked:log', // its change log (a stream: the revocation lease, tokens/domain/revocation-lease.ts)
      'revoked:rebuild',
      'rate-limit:*',
      SECURITY_EVENTS,
      ...KEYED_STATE_GRANT.keys,
    ],
    scripts: [REDIS_SCRIPTS.tokenBucket, ...KEYED_STATE_GRANT.scripts],
  },
  policy: {
    commands: [
      'PING', // /ready
      'GET', // policy generation read
      'EVAL', // policy generation raise (set-if-greater), failed admin authentication buckets
      'EVALSHA',
      'XADD', // security events
    ],
    keys: ['policy:*', 'rate-limit:admin-auth:*', SECURITY_EVENTS],
    scripts: [REDIS_SCRIPTS.policyGenerationRaise, REDIS_SCRIPTS.tokenBucket],
  },
  admin: {
    commands: [
      'PING', // /ready
      'EVAL', // failed admin authentication buckets (token bucket script)
      'EVALSHA',
      'XADD', // security events (the admin API's audit events)
    ],
    keys: ['rate-limit:admin-auth:*', SECURITY_EVENTS],
    scripts: [REDIS_SCRIPTS.tokenBucket],
  },
  monitor: {
    commands: [
      'PING', // /ready
      // the consumer group on the stream (workers/monitor/src/events/storage/stream.ts)
      'XGROUP', // CREATE ... MKSTREAM, once per isolate
      'XREADGROUP', // new entries (never BLOCK: the bridge refuses it outside /multi-exec)
      'XAUTOCLAIM', // entries left pending by a consumer that died
      'XACK',
      'XTRIM', // MAXLEN ~ MONITOR_STREAM_MAXLEN
      'XINFO', // GROUPS: the consumer lag metric
      'XADD', // its own security events (authorization.denied on its admin routes)
      'EVALSHA', // failed admin authentication buckets (the rate limiter's script)
      'EVAL',
    ],
    keys: [SECURITY_EVENTS, 'rate-limit:admin-auth:*'],
    scripts: [REDIS_SCRIPTS.tokenBucket],
  },
} as const satisfies Record<string, RedisGrant>;

export type WorkerName = keyof typeof WORKER_REDIS_GRANTS;

/** The bridge's environment variable holding a client's token, e.g. REDIS_BRIDGE_TOKEN_AUTH. */
export function bridgeTokenVariable(client: string): string {
  return `REDIS_BRIDGE_TOKEN_${client.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}
