/**
 * Upstash-compatible REST front for an ordinary Redis server, so that Workers using
 * `@upstash/redis` run unchanged off Cloudflare.
 *
 *   POST /            ["SET","k","v"]                   → {"result":"OK"}   | 400 {"error":"ERR ..."}
 *   POST /pipeline    [["SET","k","v"],["GET","k"]]     → [{"result":..}|{"error":".."}, ...]
 *   POST /multi-exec  same body, run inside MULTI/EXEC  → same shape        | 400 {"error":"EXECABORT ..."}
 *   GET  /set/k/v     path-style single command (URL-decoded segments)
 *   GET  /health      200 when Redis is connected, 503 otherwise (no token needed)
 *
 * `Upstash-Encoding: base64` (which the client sends by default) makes every string in a result
 * base64; the client decodes them all, so this must be exact for binary values too.
 *
 * Each client (each Worker) has its own token, and every command, also inside a pipeline or a transaction, is
 * checked against that token's grant (redis-grants.ts, redis-access.ts) before it reaches Redis.
 */
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { readBody, sendJson } from './http-util.js';
import { describeError, type LogFn, safeLog } from './log.js';
import { dialableHost, listen } from './net-util.js';
import { type CommandContext, type CompiledGrant, refusalFor, TokenGrants } from './redis-access.js';
import type { RedisGrant } from './redis-grants.js';
import {
  describeRedisUrl,
  isErrorReply,
  RedisConnectionLostError,
  type RedisReply,
  RedisUnavailableError,
  RedisUpstream,
} from './redis-upstream.js';
import { errorJson, renderEntry } from './rest-reply.js';
import { simulatedRtt } from './simulated-rtt.js';

/** One caller of the bridge: a Worker (or a test harness) with its own token and what that token may do. */
export interface RedisBridgeClient {
  name: string;
  /** Bearer token; at least 16 characters, different from every other client's. */
  token: string;
  grant: RedisGrant;
}

export interface RedisRestBridgeOptions {
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** redis://[user[:password]@]host:port[/db] or rediss://... */
  redisUrl: string;
  /** Who may call, each with its own token and grant. */
  clients: readonly RedisBridgeClient[];
  /** The deployment's REDIS_KEY_PREFIX: every grant's key patterns are under it (default ''). */
  keyPrefix?: string;
  /** Largest accepted request body (default 1 MiB); larger ones get 413. */
  maxBodyBytes?: number;
  /** Connections to Redis (default 4). */
  poolSize?: number;
  /** Concurrent HTTP connections; further ones are closed on accept (default 1024). */
  maxConnections?: number;
  /** A command without a reply after this long fails and its connection is replaced (default 30 s). */
  commandTimeoutMs?: number;
  /** Cap of the reconnect backoff (default 2 s). */
  maxReconnectDelayMs?: number;
  /** Commands in flight per Redis connection before new ones are refused with 503 (default 10,000). */
  maxInFlight?: number;
  /**
   * Benchmarks only: simulate a Redis this many milliseconds away (simulated-rtt.ts). Every HTTP request then
   * costs this RTT (half each way), plus one for the TCP handshake on a new connection. 0 (default) is off.
   */
  simulatedRttMs?: number;
  log?: LogFn;
}

export interface RedisRestBridge {
  port: number;
  /** Base URL for `new Redis({ url, token })`, e.g. http://127.0.0.1:PORT */
  url: string;
  /** Resolves once Redis is connected (rejects after timeoutMs); the bridge serves either way. */
  waitUntilReady(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

type Command = string[];

/** A client-side problem with the request body; becomes HTTP 400. */
class BadRequest extends Error {}

const UNAUTHORIZED = errorJson('Unauthorized');

export async function startRedisRestBridge(opts: RedisRestBridgeOptions): Promise<RedisRestBridge> {
  const log = safeLog(opts.log);
  const grants = new TokenGrants(opts.clients, opts.keyPrefix ?? '');
  const target = describeRedisUrl(opts.redisUrl);
  const maxBodyBytes = opts.maxBodyBytes ?? 1024 * 1024;
  const pool = new RedisUpstream({
    url: opts.redisUrl,
    size: opts.poolSize,
    commandTimeoutMs: opts.commandTimeoutMs,
    maxReconnectDelayMs: opts.maxReconnectDelayMs,
    maxInFlight: opts.maxInFlight,
    log,
  });
  pool.start();
  const rttMs = simulatedRtt(opts.simulatedRttMs);
  const connected = new WeakSet<Socket>();

  const serve = (req: IncomingMessage, res: ServerResponse) =>
    handle(req, res).catch((err) => {
      log({ level: 'error', msg: 'redis bridge request failed', error: describeError(err) });
      sendJson(res, 500, errorJson('ERR internal error in the Redis REST bridge'));
    });
  const server = http.createServer((req, res) => {
    if (rttMs === 0) return serve(req, res);
    // Simulated distance: the request arrives half an RTT late (one RTT more on a new connection: its TCP
    // handshake) and the whole answer leaves half an RTT late (headers are only sent with the body).
    const handshake = connected.has(req.socket) ? 0 : rttMs;
    connected.add(req.socket);
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.end = ((...args: unknown[]) => {
      setTimeout(() => end(...args), rttMs / 2);
      return res;
    }) as typeof res.end;
    setTimeout(() => serve(req, res), handshake + rttMs / 2);
  });
  // Memory is bounded per request (body limit, per-connection reply queue); this bounds how
  // many requests can be in flight at once. Slow or stuck clients must not hold sockets forever.
  server.maxConnections = opts.maxConnections ?? 1024;
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  server.on('clientError', (err, socket: Socket) => {
    if (socket.writable && !socket.destroyed) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    } else {
      socket.destroy();
    }
    log({ level: 'debug', msg: 'redis bridge client error', error: describeError(err) });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/health' && (req.method === 'GET' || req.method === 'HEAD')) {
      // No detail for unauthenticated callers (it would reveal internal addresses); the
      // connections log the reason themselves.
      return pool.healthy ? sendJson(res, 200, '{"status":"ok"}') : sendJson(res, 503, '{"status":"unavailable"}');
    }
    const grant = grants.forHeader(req.headers.authorization);
    if (!grant) {
      req.resume();
      return sendJson(res, 401, UNAUTHORIZED);
    }
    const base64 = String(req.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64';

    if (req.method === 'GET' && path !== '/' && !['/pipeline', '/multi-exec'].includes(path)) {
      let args: Command;
      try {
        args = path
          .split('/')
          .slice(1)
          .map((segment) => decodeURIComponent(segment));
      } catch {
        return sendJson(res, 400, errorJson('ERR malformed percent-encoding in the path'));
      }
      return single(res, grant, args, base64);
    }
    if (req.method !== 'POST') return sendJson(res, 405, errorJson('ERR method not allowed'), { allow: 'POST' });
    if (path !== '/' && path !== '/pipeline' && path !== '/multi-exec')
      return sendJson(res, 404, errorJson('ERR not found'));

    // Past four times the limit the remainder is not worth draining; the socket is dropped.
    const body = await readBody(req, maxBodyBytes, maxBodyBytes * 4 + 64 * 1024);
    if (body.kind === 'aborted') return;
    if (body.kind === 'too-large') {
      return sendJson(res, 413, errorJson(`ERR request body larger than ${maxBodyBytes} bytes`), {
        connection: 'close',
      });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.body.toString('utf8'));
    } catch {
      return sendJson(res, 400, errorJson('ERR request body is not valid JSON'));
    }
    try {
      if (path === '/') return await single(res, grant, toCommand(parsed, ''), base64);
      const commands = toCommandList(parsed);
      if (path === '/pipeline') return await pipeline(res, grant, commands, base64);
      return await multiExec(res, grant, commands, base64);
    } catch (err) {
      if (err instanceof BadRequest) return sendJson(res, 400, errorJson(err.message));
      throw err;
    }
  }

  /** The grant's refusal for one command, logged: a refused command is a misconfiguration or an attempt. */
  function refused(grant: CompiledGrant, args: Command, context: CommandContext): string | null {
    const refusal = refusalFor(grant, args, context);
    if (refusal) {
      log({
        level: 'warn',
        msg: 'redis command refused',
        client: grant.client,
        command: (args[0] ?? '').slice(0, 40).toLowerCase(),
        reason: refusal.slice(0, 200),
      });
    }
    return refusal;
  }

  async function single(res: ServerResponse, grant: CompiledGrant, args: Command, base64: boolean): Promise<void> {
    if (args.length === 0 || args[0] === '') return sendJson(res, 400, errorJson('ERR empty command'));
    const refusal = refused(grant, args, 'shared');
    if (refusal) return sendJson(res, 400, errorJson(refusal));
    let reply: RedisReply;
    try {
      reply = await pool.send(args);
    } catch (err) {
      return unavailable(res, err);
    }
    if (isErrorReply(reply)) return sendJson(res, 400, errorJson(reply.message));
    sendJson(res, 200, renderEntry(reply, base64));
  }

  async function pipeline(res: ServerResponse, grant: CompiledGrant, commands: Command[], base64: boolean) {
    // Refused commands get an error in their slot; the rest still run, in order, on one connection (so a
    // pipeline's own commands see each other's effects).
    const entries: (string | null)[] = commands.map((c) => {
      const refusal = refused(grant, c, 'shared');
      return refusal ? errorJson(refusal) : null;
    });
    const toSend = commands.filter((_, i) => entries[i] === null);
    if (toSend.length > 0) {
      let replies: RedisReply[];
      try {
        replies = await pool.pipeline(toSend);
      } catch (err) {
        return unavailable(res, err);
      }
      let next = 0;
      for (let i = 0; i < entries.length; i++) {
        if (entries[i] === null) entries[i] = renderEntry(replies[next++] as RedisReply, base64);
      }
    }
    sendJson(res, 200, `[${entries.join(',')}]`);
  }

  async function multiExec(res: ServerResponse, grant: CompiledGrant, commands: Command[], base64: boolean) {
    for (const c of commands) {
      const refusal = refused(grant, c, 'transaction');
      // Nothing runs if any command is refused, as with Redis' own EXECABORT.
      if (refusal) return sendJson(res, 400, errorJson(`EXECABORT Transaction discarded. ${refusal}`));
    }
    let result: Awaited<ReturnType<RedisUpstream['transaction']>>;
    try {
      result = await pool.transaction(commands);
    } catch (err) {
      return unavailable(res, err);
    }
    // The client treats a non-2xx answer as a failed transaction and surfaces `error`; a 200
    // body must be an array (it indexes it per command), so an aborted EXEC cannot be a 200.
    if (!result.ok) return sendJson(res, 400, errorJson(result.error));
    sendJson(res, 200, `[${result.replies.map((r) => renderEntry(r, base64)).join(',')}]`);
  }

  function unavailable(res: ServerResponse, err: unknown): void {
    if (!(err instanceof RedisUnavailableError) && !(err instanceof RedisConnectionLostError)) throw err;
    sendJson(res, 503, errorJson(`ERR ${err.message}`));
  }

  const host = opts.host ?? '127.0.0.1';
  const port = await listen(server, host, opts.port ?? 0);
  const url = `http://${dialableHost(host)}:${port}`;
  log({
    level: 'info',
    msg: 'redis rest bridge listening',
    url,
    redis: target,
    clients: opts.clients.map((c) => c.name),
    keyPrefix: opts.keyPrefix ?? '',
  });
  if (rttMs > 0) log({ level: 'warn', msg: 'redis bridge simulating a distant Redis (benchmarks only)', rttMs });

  let closing: Promise<void> | null = null;
  return {
    port,
    url,
    waitUntilReady: (timeoutMs = 5000) => pool.waitHealthy(timeoutMs),
    close() {
      closing ??= (async () => {
        // Stop accepting, let in-flight requests finish (bounded), then drop Redis connections.
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const forced = setTimeout(() => server.closeAllConnections(), 5000);
        await serverClosed;
        clearTimeout(forced);
        await pool.close();
        log({ level: 'info', msg: 'redis rest bridge stopped' });
      })();
      return closing;
    },
  };
}

/** Validates one command: a non-empty array of strings and numbers (numbers become strings). */
function toCommand(value: unknown, where: string): Command {
  if (!Array.isArray(value)) throw new BadRequest(`ERR ${where}command must be a JSON array of strings`);
  if (value.length === 0) throw new BadRequest(`ERR ${where}command is empty`);
  return value.map((arg, i) => {
    if (typeof arg === 'string') return arg;
    if (typeof arg === 'number' && Number.isFinite(arg)) return String(arg);
    throw new BadRequest(
      `ERR ${where}argument ${i} must be a string or a number, got ${arg === null ? 'null' : typeof arg}`,
    );
  });
}

function toCommandList(value: unknown): Command[] {
  if (!Array.isArray(value)) throw new BadRequest('ERR body must be a JSON array of commands');
  if (value.length === 0) throw new BadRequest('ERR no commands given');
  return value.map((c, i) => toCommand(c, `command ${i + 1}: `));
}
