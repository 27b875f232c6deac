/**
 * A small RESP2 client: streaming reply parser, command encoder and a pipelined connection
 * with automatic reconnect.
 *
 * Why our own: the REST bridge needs raw, binary-safe replies (bulk strings as bytes so they
 * can be base64-encoded exactly, errors as values so a pipeline can report them per command)
 * and full control over which connection a command travels on. That is a few hundred lines,
 * smaller than adapting a general-purpose client.
 */
import net from 'node:net';
import tls from 'node:tls';
import { describeError, type LogFn, safeLog } from './log.js';

// ---------------------------------------------------------------------------------------------
// Reply values
// ---------------------------------------------------------------------------------------------

/**
 * An error reply from Redis ("-ERR ..."). It is a value, not a thrown exception: in a pipeline
 * or transaction one command failing is a normal result that must be reported in its slot.
 * Deliberately not an Error subclass, so parsing thousands of them does not capture stacks.
 */
export class RedisErrorReply {
  constructor(readonly message: string) {}
  /** The leading error code, e.g. "ERR", "WRONGTYPE", "NOSCRIPT", "EXECABORT". */
  get code(): string {
    const space = this.message.indexOf(' ');
    return space < 0 ? this.message : this.message.slice(0, space);
  }
  toString(): string {
    return this.message;
  }
}

/**
 * Simple strings are `string`, bulk strings are `Buffer` (binary safe), integers are `number`
 * when they fit in a double exactly and `bigint` otherwise, nil is `null`.
 */
export type RespValue = string | Buffer | number | bigint | null | RedisErrorReply | RespValue[];

export type RespArg = string | number | Buffer;

// ---------------------------------------------------------------------------------------------
// Errors raised by the transport (as opposed to error replies)
// ---------------------------------------------------------------------------------------------

/** The connection is not usable right now; the command was not sent. */
export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

/** The connection died after the command was written; it may or may not have run. */
export class RedisConnectionLostError extends Error {
  override name = 'RedisConnectionLostError';
}

/** Redis sent bytes that are not valid RESP2; the connection is dropped. */
export class RespProtocolError extends Error {
  override name = 'RespProtocolError';
}

// ---------------------------------------------------------------------------------------------
// Encoder
// ---------------------------------------------------------------------------------------------

/** Encodes one command as a RESP array of bulk strings (the only form Redis requires). */
export function encodeCommand(args: readonly RespArg[]): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
  const head = Buffer.from(`*${args.length}\r\n`);
  parts.push(head);
  total += head.length;
  for (const arg of args) {
    const data = Buffer.isBuffer(arg) ? arg : Buffer.from(typeof arg === 'number' ? String(arg) : arg, 'utf8');
    const prefix = Buffer.from(`$${data.length}\r\n`);
    parts.push(prefix, data, CRLF);
    total += prefix.length + data.length + 2;
  }
  return Buffer.concat(parts, total);
}

const CRLF = Buffer.from('\r\n');

// ---------------------------------------------------------------------------------------------
// Streaming parser
// ---------------------------------------------------------------------------------------------

export interface RespParserLimits {
  /** Largest accepted bulk string (Redis' own proto-max-bulk-len default is 512 MiB). */
  maxBulkBytes: number;
  /** Longest accepted status/error/integer line, guards against a peer that never sends CRLF. */
  maxLineBytes: number;
  /** Largest accepted array length. */
  maxArrayLength: number;
  /** Deepest accepted nesting of arrays (Lua scripts can return nested tables). */
  maxDepth: number;
}

const DEFAULT_LIMITS: RespParserLimits = {
  maxBulkBytes: 512 * 1024 * 1024,
  maxLineBytes: 1024 * 1024,
  maxArrayLength: 64 * 1024 * 1024,
  maxDepth: 512,
};

const EMPTY = Buffer.alloc(0);
/** Returned by parseElement when the buffer ends inside the current element. */
const INCOMPLETE = Symbol('incomplete');
/** Returned by parseElement when it opened an array frame instead of producing a value. */
const OPENED_ARRAY = Symbol('opened-array');

interface ArrayFrame {
  items: RespValue[];
  remaining: number;
}

/**
 * Incremental RESP2 parser. Feed it chunks as they arrive; it calls `onReply` once per complete
 * top-level reply, in order.
 *
 * Partially received arrays are kept on an explicit stack, so progress made on a large array is
 * never re-parsed, and while a large bulk string is arriving chunks are only collected (not
 * concatenated) until enough bytes are present. Both keep the cost linear in the reply size.
 */
export class RespParser {
  private buf: Buffer = EMPTY;
  private pos = 0;
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  /** Bytes (counted from `pos`) needed before another parse attempt can make progress. */
  private need = 0;
  private stack: ArrayFrame[] = [];
  private readonly limits: RespParserLimits;

  constructor(
    private readonly onReply: (value: RespValue) => void,
    limits: Partial<RespParserLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Throws RespProtocolError on malformed input; the parser must then be discarded or reset. */
  feed(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.chunkBytes += chunk.length;
    if (this.buf.length - this.pos + this.chunkBytes < this.need) return;

    if (this.pos === this.buf.length && this.chunks.length === 1) {
      this.buf = chunk;
    } else {
      const rest = this.buf.subarray(this.pos);
      this.buf = Buffer.concat(rest.length ? [rest, ...this.chunks] : this.chunks);
    }
    this.pos = 0;
    this.chunks = [];
    this.chunkBytes = 0;
    this.need = 0;
    this.drain();
  }

  /** Forgets all buffered input and partial state (used after a connection is replaced). */
  reset(): void {
    this.buf = EMPTY;
    this.pos = 0;
    this.chunks = [];
    this.chunkBytes = 0;
    this.need = 0;
    this.stack = [];
  }

  /** Bytes currently held by the parser (for memory accounting and tests). */
  get bufferedBytes(): number {
    return this.buf.length - this.pos + this.chunkBytes;
  }

  private drain(): void {
    while (this.pos < this.buf.length) {
      const start = this.pos;
      const result = this.parseElement();
      if (result === INCOMPLETE) {
        this.pos = start;
        break;
      }
      if (result !== OPENED_ARRAY) this.deliver(result);
    }
    if (this.pos >= this.buf.length) {
      // Release the (possibly large) consumed buffer instead of keeping a view into it.
      this.buf = EMPTY;
      this.pos = 0;
    }
  }

  /** Places a finished value into its parent array, completing parents as they fill up. */
  private deliver(value: RespValue): void {
    let current = value;
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (!top) {
        this.onReply(current);
        return;
      }
      top.items.push(current);
      top.remaining -= 1;
      if (top.remaining > 0) return;
      this.stack.pop();
      current = top.items;
    }
  }

  /** Reads a CRLF-terminated line starting at pos+1 (after the type byte). */
  private readLine(): string | typeof INCOMPLETE {
    const end = this.buf.indexOf(CRLF, this.pos + 1);
    if (end < 0) {
      const have = this.buf.length - this.pos;
      if (have > this.limits.maxLineBytes) throw new RespProtocolError('reply line too long');
      this.need = have + 1;
      return INCOMPLETE;
    }
    if (end - this.pos > this.limits.maxLineBytes) throw new RespProtocolError('reply line too long');
    const line = this.buf.toString('utf8', this.pos + 1, end);
    this.pos = end + 2;
    return line;
  }

  private parseElement(): RespValue | typeof INCOMPLETE | typeof OPENED_ARRAY {
    const type = this.buf[this.pos];
    switch (type) {
      case 0x2b /* + */:
        {
          const line = this.readLine();
          return line;
        }
      case 0x2d /* - */:
        {
          const line = this.readLine();
          return line === INCOMPLETE ? line : new RedisErrorReply(line);
        }
      case 0x3a /* : */:
        {
          const line = this.readLine();
          return line === INCOMPLETE ? line : parseInteger(line);
        }
      case 0x24 /* $ */:
        {
          const start = this.pos;
          const line = this.readLine();
          if (line === INCOMPLETE) return line;
          const len = parseLength(line);
          if (len < 0) return null;
          if (len > this.limits.maxBulkBytes) throw new RespProtocolError(`bulk string of ${len} bytes exceeds limit`);
          if (this.buf.length - this.pos < len + 2) {
            this.need = this.pos - start + len + 2;
            return INCOMPLETE;
          }
          if (this.buf[this.pos + len] !== 0x0d || this.buf[this.pos + len + 1] !== 0x0a) {
            throw new RespProtocolError('bulk string not terminated by CRLF');
          }
          // Copy so that the reply does not pin the whole receive buffer in memory.
          const value = Buffer.from(this.buf.subarray(this.pos, this.pos + len));
          this.pos += len + 2;
          return value;
        }
      case 0x2a /* * */:
        {
          const line = this.readLine();
          if (line === INCOMPLETE) return line;
          const len = parseLength(line);
          if (len < 0) return null;
          if (len === 0) return [];
          if (len > this.limits.maxArrayLength) throw new RespProtocolError(`array of ${len} elements exceeds limit`);
          if (this.stack.length >= this.limits.maxDepth) throw new RespProtocolError('reply nested too deeply');
          this.stack.push({ items: [], remaining: len });
          return OPENED_ARRAY;
        }
      default:
        throw new RespProtocolError(`unexpected reply type byte 0x${(type ?? 0).toString(16)}`);
    }
  }
}

function parseInteger(line: string): number | bigint {
  if (!/^-?[0-9]{1,20}$/.test(line)) throw new RespProtocolError(`invalid integer reply "${line.slice(0, 40)}"`);
  const n = Number(line);
  return Number.isSafeInteger(n) ? n : BigInt(line);
}

function parseLength(line: string): number {
  if (line === '-1') return -1;
  if (!/^[0-9]{1,12}$/.test(line)) throw new RespProtocolError(`invalid length "${line.slice(0, 40)}"`);
  return Number(line);
}

// ---------------------------------------------------------------------------------------------
// Connection target
// ---------------------------------------------------------------------------------------------

export interface RedisTarget {
  host: string;
  port: number;
  tls: boolean;
  username?: string;
  password?: string;
  db: number;
}

/** Parses redis://[user[:password]@]host[:port][/db] and rediss:// (TLS). */
export function parseRedisUrl(url: string): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error('REDIS_URL is not a valid URL (expected redis://[:password@]host:port[/db])');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new Error(`unsupported Redis URL scheme "${u.protocol}" (expected redis: or rediss:)`);
  }
  const dbText = u.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^[0-9]{1,5}$/.test(dbText)) throw new Error(`invalid Redis database "${dbText}" in URL`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new Error('Redis URL has no host');
  return {
    host,
    port: u.port ? Number(u.port) : 6379,
    tls: u.protocol === 'rediss:',
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: dbText ? Number(dbText) : 0,
  };
}

// ---------------------------------------------------------------------------------------------
// Pipelined connection
// ---------------------------------------------------------------------------------------------

export type ConnectionState = 'connecting' | 'ready' | 'down' | 'closed';

export interface RedisConnectionOptions {
  /** Label used in log entries and error messages. */
  name?: string;
  connectTimeoutMs?: number;
  /**
   * If the oldest outstanding reply is older than this, the connection is considered hung and is
   * replaced (a pipelined connection cannot cancel a single command). 0 disables the check.
   */
  commandTimeoutMs?: number;
  /** Reconnect after the connection drops (pool connections); false for one-shot connections. */
  reconnect?: boolean;
  minReconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  /** Upper bound on outstanding replies; beyond it new commands fail instead of queueing. */
  maxPending?: number;
  /** Upper bound on unsent bytes in the socket buffer, the other half of the memory bound. */
  maxWriteBufferBytes?: number;
  parserLimits?: Partial<RespParserLimits>;
  log?: LogFn;
  /** Called on every state change (the pool uses it for health and to drop dead connections). */
  onStateChange?: (state: ConnectionState, conn: RedisConnection) => void;
}

type Callback = (err: Error | null, value: RespValue) => void;

interface PendingReply {
  callback: Callback;
  sentAt: number;
}

/**
 * Minimal array-backed FIFO. Array#shift is O(n); a pipelined connection can have thousands of
 * replies outstanding, so the head index moves instead and the array is compacted occasionally.
 */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(item: T): void {
    this.items.push(item);
  }
  peek(): T | undefined {
    return this.items[this.head];
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
  drain(): T[] {
    const rest = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return rest;
  }
}

/**
 * One TCP (or TLS) connection to Redis, shared by many concurrent callers through pipelining:
 * commands are written immediately and replies are matched to callers in FIFO order.
 *
 * While the connection is not ready, commands fail fast with RedisUnavailableError rather than
 * queueing, so an outage turns into quick errors for HTTP clients instead of piling up memory.
 */
export class RedisConnection {
  private socket: net.Socket | null = null;
  private readonly pending = new Fifo<PendingReply>();
  private readonly parser: RespParser;
  private _state: ConnectionState = 'down';
  private lastError = 'not connected yet';
  private attempts = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private readyWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private readonly log: LogFn;
  private readonly opts: Required<Omit<RedisConnectionOptions, 'log' | 'onStateChange' | 'parserLimits'>> &
    Pick<RedisConnectionOptions, 'onStateChange'>;

  constructor(
    readonly target: RedisTarget,
    options: RedisConnectionOptions = {},
  ) {
    this.opts = {
      name: options.name ?? `redis ${target.host}:${target.port}`,
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      commandTimeoutMs: options.commandTimeoutMs ?? 30_000,
      reconnect: options.reconnect ?? true,
      minReconnectDelayMs: options.minReconnectDelayMs ?? 50,
      maxReconnectDelayMs: options.maxReconnectDelayMs ?? 2000,
      maxPending: options.maxPending ?? 10_000,
      maxWriteBufferBytes: options.maxWriteBufferBytes ?? 32 * 1024 * 1024,
      onStateChange: options.onStateChange,
    };
    this.log = safeLog(options.log);
    this.parser = new RespParser((value) => this.onReply(value), options.parserLimits);
  }

  get state(): ConnectionState {
    return this._state;
  }
  get ready(): boolean {
    return this._state === 'ready';
  }
  get pendingCount(): number {
    return this.pending.length;
  }
  /** Why the connection is not ready (the last connect or I/O error). */
  get lastErrorMessage(): string {
    return this.lastError;
  }

  /** Starts connecting (idempotent). Use waitReady() to wait for the handshake. */
  connect(): this {
    if (this._state === 'down' && !this.reconnectTimer) this.open();
    return this;
  }

  /** Resolves once ready; rejects if the attempt fails (one-shot) or the timeout passes. */
  waitReady(timeoutMs = this.opts.connectTimeoutMs): Promise<void> {
    if (this._state === 'ready') return Promise.resolve();
    if (this._state === 'closed') return Promise.reject(new RedisUnavailableError(`${this.opts.name} is closed`));
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.readyWaiters = this.readyWaiters.filter((w) => w !== waiter);
        reject(
          new RedisUnavailableError(`${this.opts.name} did not become ready in ${timeoutMs} ms: ${this.lastError}`),
        );
      }, timeoutMs);
      this.readyWaiters.push(waiter);
    });
  }

  /** Sends one command; resolves with its reply (error replies included as values). */
  send(args: readonly RespArg[]): Promise<RespValue> {
    return this.sendBatch([args]).then((replies) => replies[0] as RespValue);
  }

  /**
   * Sends several commands in one write so that nothing from other callers can interleave
   * (that is what makes MULTI ... EXEC on a dedicated connection and ordered pipelines work).
   * Resolves with one reply per command; rejects if the connection drops before all arrive.
   */
  sendBatch(commands: readonly (readonly RespArg[])[]): Promise<RespValue[]> {
    if (commands.length === 0) return Promise.resolve([]);
    const refusal = this.refusal(commands.length);
    if (refusal) return Promise.reject(refusal);
    const payload = Buffer.concat(commands.map((c) => encodeCommand(c)));
    return new Promise((resolve, reject) => {
      const replies: RespValue[] = new Array(commands.length);
      let received = 0;
      let failed = false;
      const now = Date.now();
      for (let i = 0; i < commands.length; i++) {
        this.pending.push({
          sentAt: now,
          callback: (err, value) => {
            if (failed) return;
            if (err) {
              failed = true;
              reject(err);
              return;
            }
            replies[i] = value;
            received += 1;
            if (received === commands.length) resolve(replies);
          },
        });
      }
      this.socket?.write(payload);
      this.armWatchdog();
    });
  }

  /**
   * Stops reconnecting, fails anything outstanding and closes the socket gracefully (QUIT is not
   * needed: closing our side is enough and cannot be confused with a reply).
   */
  async close(): Promise<void> {
    if (this._state === 'closed') return;
    this.setState('closed');
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.failPending(new RedisConnectionLostError(`${this.opts.name} was closed`));
    this.rejectWaiters(new RedisUnavailableError(`${this.opts.name} was closed`));
    const socket = this.socket;
    this.socket = null;
    if (!socket || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => socket.destroy(), 1000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.end();
    });
  }

  private refusal(count: number): Error | null {
    if (this._state !== 'ready' || !this.socket) {
      return new RedisUnavailableError(`Redis is unavailable (${this.opts.name}): ${this.lastError}`);
    }
    if (this.pending.length + count > this.opts.maxPending) {
      return new RedisUnavailableError(`Redis connection is saturated (${this.pending.length} replies outstanding)`);
    }
    if (this.socket.writableLength > this.opts.maxWriteBufferBytes) {
      return new RedisUnavailableError('Redis connection is saturated (write buffer full)');
    }
    return null;
  }

  private setState(state: ConnectionState): void {
    if (this._state === state) return;
    this._state = state;
    try {
      this.opts.onStateChange?.(state, this);
    } catch (err) {
      this.log({ level: 'error', msg: 'redis state listener threw', error: describeError(err) });
    }
  }

  private open(): void {
    this.setState('connecting');
    const { host, port } = this.target;
    const socket = this.target.tls
      ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host })
      : net.connect({ host, port });
    this.socket = socket;
    this.parser.reset();
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.setTimeout(this.opts.connectTimeoutMs);
    socket.on('timeout', () => socket.destroy(new Error(`connect timeout after ${this.opts.connectTimeoutMs} ms`)));
    socket.once(this.target.tls ? 'secureConnect' : 'connect', () => {
      socket.setTimeout(0);
      this.handshake(socket);
    });
    socket.on('data', (chunk: Buffer) => {
      if (socket !== this.socket) return;
      try {
        this.parser.feed(chunk);
      } catch (err) {
        this.log({ level: 'error', msg: 'redis protocol error', conn: this.opts.name, error: describeError(err) });
        socket.destroy(err as Error);
      }
    });
    socket.on('error', (err) => {
      this.lastError = describeError(err);
    });
    socket.on('close', () => this.onClose(socket));
  }

  /**
   * AUTH and SELECT travel through the same FIFO as user commands, before the connection is
   * marked ready, so user traffic can never overtake them.
   */
  private handshake(socket: net.Socket): void {
    const commands: string[][] = [];
    const { username, password, db } = this.target;
    if (password !== undefined) commands.push(username ? ['AUTH', username, password] : ['AUTH', password]);
    if (db) commands.push(['SELECT', String(db)]);
    if (commands.length === 0) {
      this.becomeReady();
      return;
    }
    const failHandshake = (message: string) => {
      this.lastError = message;
      this.log({ level: 'error', msg: 'redis handshake failed', conn: this.opts.name, error: message });
      socket.destroy();
    };
    let remaining = commands.length;
    for (const command of commands) {
      this.pending.push({
        sentAt: Date.now(),
        callback: (err, value) => {
          if (err) return; // the close handler reports connection loss
          if (value instanceof RedisErrorReply) {
            failHandshake(`${command[0]} failed: ${value.message}`);
            return;
          }
          remaining -= 1;
          if (remaining === 0 && socket === this.socket) this.becomeReady();
        },
      });
      socket.write(encodeCommand(command));
    }
    this.armWatchdog();
  }

  private becomeReady(): void {
    if (this.attempts > 0) this.log({ level: 'info', msg: 'redis reconnected', conn: this.opts.name });
    this.attempts = 0;
    this.lastError = '';
    this.setState('ready');
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) w.resolve();
  }

  private onReply(value: RespValue): void {
    const entry = this.pending.shift();
    if (!entry) {
      // RESP2 has no unsolicited replies on a non-subscribed connection; anything extra means
      // the stream is out of sync, and every later reply would go to the wrong caller.
      throw new RespProtocolError('reply received with no command outstanding');
    }
    entry.callback(null, value);
    if (this.pending.length === 0) this.disarmWatchdog();
  }

  private onClose(socket: net.Socket): void {
    if (socket !== this.socket && this.socket !== null) return;
    this.socket = null;
    this.disarmWatchdog();
    const wasReady = this._state === 'ready';
    this.failPending(
      new RedisConnectionLostError(
        `Redis connection lost before the reply arrived (${this.opts.name}: ${this.lastError || 'closed by server'}); the command may or may not have run`,
      ),
    );
    if (this._state === 'closed') return;
    if (!this.lastError) this.lastError = 'connection closed by server';
    if (wasReady)
      this.log({ level: 'warn', msg: 'redis connection lost', conn: this.opts.name, error: this.lastError });
    this.setState('down');
    if (!this.opts.reconnect) {
      this.rejectWaiters(new RedisUnavailableError(`Redis is unavailable (${this.opts.name}): ${this.lastError}`));
      return;
    }
    // Exponential backoff with jitter so that a pool of connections does not reconnect in lockstep.
    const base = Math.min(this.opts.maxReconnectDelayMs, this.opts.minReconnectDelayMs * 2 ** this.attempts);
    const wait = Math.round(base / 2 + (Math.random() * base) / 2);
    this.attempts += 1;
    if (this.attempts === 1 || this.attempts % 20 === 0) {
      this.log({
        level: 'warn',
        msg: 'redis unavailable, retrying',
        conn: this.opts.name,
        error: this.lastError,
        attempt: this.attempts,
      });
    }
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this._state === 'down') this.open();
    }, wait);
    // A library timer must not keep a process alive on its own; the owner's server does that.
    this.reconnectTimer.unref();
  }

  private failPending(err: Error): void {
    for (const entry of this.pending.drain()) entry.callback(err, null);
  }

  private rejectWaiters(err: Error): void {
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) w.reject(err);
  }

  private armWatchdog(): void {
    if (this.watchdog || this.opts.commandTimeoutMs <= 0) return;
    const interval = Math.max(50, Math.min(1000, this.opts.commandTimeoutMs / 4));
    this.watchdog = setInterval(() => {
      const oldest = this.pending.peek();
      if (!oldest) return this.disarmWatchdog();
      if (Date.now() - oldest.sentAt > this.opts.commandTimeoutMs) {
        this.lastError = `no reply within ${this.opts.commandTimeoutMs} ms`;
        this.log({ level: 'warn', msg: 'redis command timed out, replacing connection', conn: this.opts.name });
        this.socket?.destroy();
      }
    }, interval);
    this.watchdog.unref();
  }

  private disarmWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
  }
}
