/**
 * Connections the REST bridge uses to reach Redis:
 *
 * - a fixed set of long-lived pipelined connections for plain commands and pipelines; each
 *   reconnects on its own with backoff, and requests are spread over the ready ones;
 * - dedicated connections for /multi-exec, one per transaction while it runs, so that
 *   MULTI ... EXEC can never interleave with anything else. A few are kept idle for reuse
 *   (a clean EXEC leaves a connection in its initial state) and their number is capped.
 */
import { describeError, type LogFn, safeLog } from './log.js';
import {
  RedisConnection,
  type RedisConnectionOptions,
  RedisErrorReply,
  type RedisTarget,
  RedisUnavailableError,
  type RespValue,
} from './resp.js';

export interface RedisPoolOptions {
  /** Number of shared pipelined connections. */
  size: number;
  /** Upper bound on dedicated transaction connections open at once. */
  maxTransactionConnections: number;
  /** How long a transaction may wait for a free dedicated connection before failing. */
  transactionWaitMs: number;
  /** Upper bound on transactions waiting for a connection (bounded memory under overload). */
  maxTransactionWaiters: number;
  connection: Omit<RedisConnectionOptions, 'name' | 'reconnect' | 'onStateChange' | 'log'>;
  log?: LogFn;
}

export type TransactionResult = { ok: true; replies: RespValue[] } | { ok: false; error: string };

interface Waiter {
  resolve: (conn: RedisConnection) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class RedisPool {
  private readonly shared: RedisConnection[] = [];
  private readonly txConns = new Set<RedisConnection>();
  private idleTx: RedisConnection[] = [];
  private waiters: Waiter[] = [];
  private txSeq = 0;
  private closed = false;
  private readonly log: LogFn;

  constructor(
    private readonly target: RedisTarget,
    private readonly opts: RedisPoolOptions,
  ) {
    this.log = safeLog(opts.log);
    for (let i = 0; i < Math.max(1, opts.size); i++) {
      this.shared.push(
        new RedisConnection(target, {
          ...opts.connection,
          name: `redis pool #${i + 1}`,
          reconnect: true,
          log: this.log,
        }),
      );
    }
  }

  start(): void {
    for (const conn of this.shared) conn.connect();
  }

  /** True when at least one shared connection is ready. */
  get healthy(): boolean {
    return this.shared.some((c) => c.ready);
  }

  /** Resolves when a shared connection is ready, or rejects after `timeoutMs`. */
  async waitHealthy(timeoutMs: number): Promise<void> {
    await Promise.any(this.shared.map((c) => c.waitReady(timeoutMs))).catch(() => {
      throw new RedisUnavailableError(`Redis did not become ready in ${timeoutMs} ms: ${this.unavailableReason()}`);
    });
  }

  unavailableReason(): string {
    return this.shared.find((c) => c.lastErrorMessage)?.lastErrorMessage ?? 'not connected';
  }

  /** The ready shared connection with the fewest outstanding replies, or null when none is ready. */
  pick(): RedisConnection | null {
    let best: RedisConnection | null = null;
    for (const conn of this.shared) {
      if (conn.ready && (!best || conn.pendingCount < best.pendingCount)) best = conn;
    }
    return best;
  }

  /**
   * Runs the commands inside MULTI/EXEC on a dedicated connection. Transport problems reject
   * (RedisUnavailableError / RedisConnectionLostError); a transaction Redis refused to execute
   * resolves with `ok: false` and the reason.
   */
  async transaction(commands: readonly (readonly string[])[]): Promise<TransactionResult> {
    const conn = await this.acquire();
    let reusable = false;
    try {
      const replies = await conn.sendBatch([['MULTI'], ...commands, ['EXEC']]);
      const exec = replies[replies.length - 1] ?? null;
      reusable = replies[0] === 'OK' && (Array.isArray(exec) || exec instanceof RedisErrorReply);
      if (exec instanceof RedisErrorReply) {
        // EXECABORT: a command was rejected while queueing (syntax, unknown command). Nothing
        // ran. Report which one, since Redis' EXECABORT text alone does not say.
        const index = replies.findIndex((r, i) => i > 0 && i < replies.length - 1 && r instanceof RedisErrorReply);
        const cause = index > 0 ? ` Command ${index} failed: ${(replies[index] as RedisErrorReply).message}` : '';
        return { ok: false, error: `${exec.message}${cause}` };
      }
      if (exec === null) return { ok: false, error: 'EXECABORT Transaction aborted' };
      if (!Array.isArray(exec)) return { ok: false, error: 'ERR unexpected reply to EXEC' };
      return { ok: true, replies: exec };
    } finally {
      this.release(conn, reusable);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const err = new RedisUnavailableError('the Redis bridge is shutting down');
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    const all = [...this.shared, ...this.txConns];
    this.txConns.clear();
    this.idleTx = [];
    await Promise.all(all.map((c) => c.close()));
  }

  private async acquire(): Promise<RedisConnection> {
    if (this.closed) throw new RedisUnavailableError('the Redis bridge is shutting down');
    // Fail fast during an outage instead of opening a doomed connection per request.
    if (!this.healthy) throw new RedisUnavailableError(`Redis is unavailable: ${this.unavailableReason()}`);
    while (this.idleTx.length > 0) {
      const conn = this.idleTx.pop() as RedisConnection;
      if (conn.ready && conn.pendingCount === 0) return conn;
      this.retire(conn);
    }
    if (this.txConns.size < this.opts.maxTransactionConnections) return this.open();
    if (this.waiters.length >= this.opts.maxTransactionWaiters) {
      throw new RedisUnavailableError('too many concurrent transactions, try again later');
    }
    return new Promise<RedisConnection>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new RedisUnavailableError(`no transaction connection free within ${this.opts.transactionWaitMs} ms`));
        }, this.opts.transactionWaitMs),
      };
      this.waiters.push(waiter);
    });
  }

  private async open(): Promise<RedisConnection> {
    this.txSeq += 1;
    const conn = new RedisConnection(this.target, {
      ...this.opts.connection,
      name: `redis tx #${this.txSeq}`,
      reconnect: false,
      log: this.log,
      onStateChange: (state, c) => {
        // An idle connection that dies (Redis restarted) frees its slot right away.
        if ((state === 'down' || state === 'closed') && this.idleTx.includes(c)) this.retire(c);
      },
    });
    this.txConns.add(conn);
    conn.connect();
    try {
      await conn.waitReady();
      return conn;
    } catch (err) {
      this.retire(conn);
      throw err;
    }
  }

  private release(conn: RedisConnection, reusable: boolean): void {
    if (this.closed || !reusable || !conn.ready || conn.pendingCount > 0) {
      this.retire(conn);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(conn);
      return;
    }
    if (this.idleTx.length < Math.max(1, this.opts.size)) this.idleTx.push(conn);
    else this.retire(conn);
  }

  /** Closes a dedicated connection and hands its slot to a waiting transaction, if any. */
  private retire(conn: RedisConnection): void {
    this.idleTx = this.idleTx.filter((c) => c !== conn);
    if (!this.txConns.delete(conn)) return;
    conn
      .close()
      .catch((err) =>
        this.log({ level: 'warn', msg: 'closing redis tx connection failed', error: describeError(err) }),
      );
    if (this.closed) return;
    const waiter = this.waiters.shift();
    if (!waiter) return;
    clearTimeout(waiter.timer);
    if (this.healthy) this.open().then(waiter.resolve, waiter.reject);
    else waiter.reject(new RedisUnavailableError(`Redis is unavailable: ${this.unavailableReason()}`));
  }
}
