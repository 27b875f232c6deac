/**
 * The REST bridge's connections to Redis, through ioredis: a few long-lived clients that each reconnect on their
 * own, with requests spread over the ready ones.
 *
 * ioredis is set up to hand replies over untouched, which the Upstash protocol needs:
 * - RESP2, strings as Buffers (exact bytes, so base64 is exact) and integers as decimal text (`stringNumbers`), so
 *   a JS string in a reply is always an integer, with every digit of one beyond 2^53;
 * - no reply transformers (ioredis turns HGETALL into an object, XREAD into pairs ...): see RawCommand;
 * - errors as values: a pipeline reports each command's error in its slot;
 * - fail fast rather than queue: nothing waits for a connection that is down (no offline queue), and a command
 *   whose connection drops is failed, never sent again (it may have run; retrying could run it twice).
 *
 * A pipeline, MULTI/EXEC included, goes out as one write on one client, so nothing else can interleave: no
 * dedicated connections are needed for transactions.
 */
import { Command, MaxRetriesPerRequestError, type Pipeline, Redis, type RedisOptions, ReplyError } from 'ioredis';
import { describeError, type LogFn, safeLog } from './log.js';

/** An error reply from Redis, delivered as a value (pipelines report them per command). */
export type RedisErrorReply = Error & { name: 'ReplyError' };

/**
 * Bulk and simple strings are Buffers, integers decimal strings, nil null; arrays nest. An error inside an array (a
 * Lua script can return one) is a RedisErrorReply.
 */
export type RedisReply = Buffer | string | null | RedisErrorReply | RedisReply[];

/** The command was not sent: no connection is ready, or the bridge is saturated. */
export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

/** The command was sent but no reply came (connection lost or timed out); it may or may not have run. */
export class RedisConnectionLostError extends Error {
  override name = 'RedisConnectionLostError';
}

export function isErrorReply(value: unknown): value is RedisErrorReply {
  return value instanceof ReplyError;
}

/** Sends its arguments as given and resolves with the reply as decoded, whatever the command's name. */
class RawCommand extends Command {
  constructor(args: readonly string[]) {
    super((args[0] as string).toLowerCase(), args.slice(1), { replyEncoding: null });
  }
  // The base signature names only strings and Buffers; replies here are any decoded value, returned as they are.
  override transformReply(result: Buffer | Buffer[]): Buffer | Buffer[] {
    return result;
  }
}

export interface RedisUpstreamOptions {
  /** redis://[user[:password]@]host:port[/db] or rediss:// (TLS). */
  url: string;
  /** Number of clients (connections), default 4. */
  size?: number;
  /** A command without a reply after this long fails, and its connection is replaced (default 30 s; 0: never). */
  commandTimeoutMs?: number;
  /** Cap of the reconnect backoff (default 2 s). */
  maxReconnectDelayMs?: number;
  /** Commands in flight per client; beyond it new ones fail at once (default 10,000). */
  maxInFlight?: number;
  /** Unsent bytes per client socket; beyond it new commands fail at once (default 32 MiB). */
  maxWriteBufferBytes?: number;
  log?: LogFn;
}

interface Member {
  client: Redis;
  name: string;
  inFlight: number;
  lastError: string;
}

export type TransactionResult = { ok: true; replies: RedisReply[] } | { ok: false; error: string };

/** host:port of a Redis URL, for logs (never the password). */
export function describeRedisUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error('REDIS_URL is not a valid URL (expected redis://[:password@]host:port[/db])');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new Error(`unsupported Redis URL scheme "${u.protocol}" (expected redis: or rediss:)`);
  }
  return `${u.protocol}//${u.hostname}:${u.port || 6379}${u.pathname.length > 1 ? u.pathname : ''}`;
}

export class RedisUpstream {
  private readonly members: Member[] = [];
  private readonly log: LogFn;
  private readonly maxInFlight: number;
  private readonly maxWriteBufferBytes: number;
  private closed = false;

  constructor(private readonly opts: RedisUpstreamOptions) {
    describeRedisUrl(opts.url);
    this.log = safeLog(opts.log);
    this.maxInFlight = opts.maxInFlight ?? 10_000;
    this.maxWriteBufferBytes = opts.maxWriteBufferBytes ?? 32 * 1024 * 1024;
    const maxDelay = opts.maxReconnectDelayMs ?? 2000;
    const options: RedisOptions = {
      protocol: 2,
      stringNumbers: true,
      lazyConnect: true,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      // 0: when a connection drops, the commands sent on it fail at once instead of waiting for a reconnect.
      maxRetriesPerRequest: 0,
      // 0 turns the deadline off (ioredis would read 0 as "time out at once").
      commandTimeout: (opts.commandTimeoutMs ?? 30_000) > 0 ? (opts.commandTimeoutMs ?? 30_000) : undefined,
      connectTimeout: 5000,
      disableClientInfo: true,
      maintNotifications: 'disabled',
      // Exponential backoff with jitter, so that the clients do not reconnect in lockstep.
      retryStrategy: (attempt) => {
        const base = Math.min(maxDelay, 50 * 2 ** Math.min(attempt, 16));
        return Math.round(base / 2 + (Math.random() * base) / 2);
      },
    };
    for (let i = 0; i < Math.max(1, opts.size ?? 4); i++) {
      const member: Member = {
        client: new Redis(opts.url, options),
        name: `redis #${i + 1}`,
        inFlight: 0,
        lastError: 'not connected yet',
      };
      this.watch(member);
      this.members.push(member);
    }
  }

  private watch(member: Member): void {
    const { client, name } = member;
    let failures = 0;
    client.on('ready', () => {
      if (failures > 0) this.log({ level: 'info', msg: 'redis reconnected', conn: name });
      failures = 0;
      member.lastError = '';
    });
    client.on('error', (err: Error) => {
      member.lastError = describeError(err);
      // A reply with nothing outstanding means the stream is out of step: every later reply would reach the wrong
      // caller. ioredis only reports it, so the connection is replaced here.
      if (err.message.startsWith('Command queue state error')) {
        this.log({ level: 'error', msg: 'redis reply out of step, replacing connection', conn: name });
        client.disconnect(true);
      }
    });
    client.on('reconnecting', () => {
      failures += 1;
      if (failures === 1 || failures % 20 === 0) {
        this.log({ level: 'warn', msg: 'redis unavailable, retrying', conn: name, error: member.lastError, failures });
      }
    });
  }

  start(): void {
    for (const m of this.members) m.client.connect().catch(() => {});
  }

  /** True when at least one client is ready. */
  get healthy(): boolean {
    return this.members.some((m) => m.client.status === 'ready');
  }

  unavailableReason(): string {
    return this.members.find((m) => m.lastError)?.lastError || 'not connected';
  }

  /** Resolves when a client is ready, or rejects after `timeoutMs`. */
  async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.healthy) {
      if (this.closed || Date.now() > deadline) {
        throw new RedisUnavailableError(`Redis did not become ready in ${timeoutMs} ms: ${this.unavailableReason()}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** One command; an error reply resolves as a RedisErrorReply value. */
  async send(args: readonly string[]): Promise<RedisReply> {
    const [reply] = await this.pipeline([args]);
    return reply as RedisReply;
  }

  /** Commands in order on one connection; one reply (or error reply) per command. */
  async pipeline(commands: readonly (readonly string[])[]): Promise<RedisReply[]> {
    const member = this.pick(commands.length);
    // The chainable type ioredis declares for pipeline() omits sendCommand, which Pipeline has.
    const pipe = member.client.pipeline() as unknown as Pipeline;
    for (const args of commands) pipe.sendCommand(new RawCommand(args));
    return this.run(member, commands.length, async () => {
      const results = (await pipe.exec()) ?? [];
      // Error replies stay values in their slot; any other error is the transport failing under the command.
      return results.map(([err, value]) => {
        if (!err) return value as RedisReply;
        if (isErrorReply(err)) return err;
        throw err;
      });
    });
  }

  /**
   * MULTI ... EXEC, sent as one write on one connection so that nothing else can interleave. Transport problems
   * reject; a transaction Redis refused to run (EXECABORT) resolves with `ok: false` and the reason, naming the
   * command Redis rejected while queueing (its own EXECABORT text does not say).
   */
  async transaction(commands: readonly (readonly string[])[]): Promise<TransactionResult> {
    const replies = await this.pipeline([['MULTI'], ...commands, ['EXEC']]);
    const exec = replies[replies.length - 1] ?? null;
    if (isErrorReply(exec)) {
      const index = replies.findIndex((r, i) => i > 0 && i < replies.length - 1 && isErrorReply(r));
      const cause = index > 0 ? ` Command ${index} failed: ${(replies[index] as RedisErrorReply).message}` : '';
      return { ok: false, error: `${exec.message}${cause}` };
    }
    if (exec === null) return { ok: false, error: 'EXECABORT Transaction aborted' };
    if (!Array.isArray(exec)) return { ok: false, error: 'ERR unexpected reply to EXEC' };
    return { ok: true, replies: exec };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.members.map(async ({ client }) => {
        if (client.status === 'end') return;
        const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
        // QUIT lets Redis finish what was sent; disconnect() if it does not answer promptly.
        const timer = setTimeout(() => client.disconnect(), 1000);
        await client.quit().catch(() => client.disconnect());
        await ended;
        clearTimeout(timer);
      }),
    );
  }

  /** The ready client with the fewest commands in flight; throws RedisUnavailableError when none can take more. */
  private pick(count: number): Member {
    if (this.closed) throw new RedisUnavailableError('the Redis bridge is shutting down');
    let best: Member | null = null;
    for (const m of this.members) {
      if (m.client.status === 'ready' && (!best || m.inFlight < best.inFlight)) best = m;
    }
    if (!best) throw new RedisUnavailableError(`Redis is unavailable: ${this.unavailableReason()}`);
    if (best.inFlight + count > this.maxInFlight) {
      throw new RedisUnavailableError(`Redis connection is saturated (${best.inFlight} commands in flight)`);
    }
    if ((best.client.stream?.writableLength ?? 0) > this.maxWriteBufferBytes) {
      throw new RedisUnavailableError('Redis connection is saturated (write buffer full)');
    }
    return best;
  }

  private async run<T>(member: Member, count: number, send: () => Promise<T>): Promise<T> {
    member.inFlight += count;
    try {
      return await send();
    } catch (err) {
      if (isErrorReply(err)) throw err;
      throw this.transportError(member, err);
    } finally {
      member.inFlight -= count;
    }
  }

  private transportError(member: Member | null, err: unknown): Error {
    const message = describeError(err);
    if (err instanceof RedisUnavailableError || err instanceof RedisConnectionLostError) return err;
    if (message.includes('enableOfflineQueue options is false')) {
      return new RedisUnavailableError(`Redis is unavailable: ${this.unavailableReason()}`);
    }
    if (message === 'Command timed out') {
      // A pipelined connection cannot cancel one command, and a reply this late means it is stuck: replace it.
      if (member) {
        member.lastError = `no reply within ${this.opts.commandTimeoutMs ?? 30_000} ms`;
        this.log({ level: 'warn', msg: 'redis command timed out, replacing connection', conn: member.name });
        member.client.disconnect(true);
      }
      return new RedisConnectionLostError(
        `no reply from Redis within ${this.opts.commandTimeoutMs ?? 30_000} ms; the command may or may not have run`,
      );
    }
    const reason = err instanceof MaxRetriesPerRequestError ? member?.lastError || 'connection lost' : message;
    return new RedisConnectionLostError(
      `Redis connection lost before the reply arrived (${reason || 'closed by server'}); the command may or may not have run`,
    );
  }
}
