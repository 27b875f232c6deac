/**
 * WebSocket-to-TCP bridge for the Neon serverless driver, with Neon wsproxy's URL convention:
 *
 *   ws://HOST:PORT/v2?address=pghost:pgport
 *
 * The driver speaks the ordinary Postgres wire protocol inside binary WebSocket messages; this
 * bridge copies bytes both ways and nothing else (no protocol parsing, so SCRAM, COPY and
 * cancellation all work unchanged). Set `neonConfig.wsProxy = bridge.url` (or a function
 * returning `${bridge.url}?address=${host}:${port}`).
 *
 * Only addresses on the allow list are dialled, otherwise this would be an open TCP relay.
 * Each connection is independent: a bad frame, a vanished client or an unreachable Postgres
 * ends that connection with a proper close code and nothing else.
 */
import http from 'node:http';
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { describeError, type LogFn, safeLog } from './log.js';
import { dialableHost, formatHostPort, listen, parseHostPort } from './net-util.js';
import { DelayLine, simulatedRtt } from './simulated-rtt.js';

export interface PgBridgeOptions {
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Postgres addresses clients may reach, as "host:port"; anything else gets HTTP 403. */
  allow: string[];
  /** Concurrent bridged connections; further upgrades get HTTP 503 (default 1000). */
  maxConnections?: number;
  /**
   * Per direction: when the writing side has more than this queued, the reading side is
   * paused until it drains (default 1 MiB). Bounds memory per connection with slow peers.
   */
  maxBufferedBytes?: number;
  /** Largest single WebSocket message accepted from a client (default 64 MiB). */
  maxMessageBytes?: number;
  /** Close a connection after this long without traffic either way; 0 (default) disables. */
  idleTimeoutMs?: number;
  /**
   * Benchmarks only: simulate a data plane this many milliseconds away (simulated-rtt.ts). Every Postgres
   * protocol round trip then costs this RTT (half each way) and opening a connection two (TCP handshake, then the
   * WebSocket upgrade). 0 (default) is off.
   */
  simulatedRttMs?: number;
  log?: LogFn;
}

export interface PgBridgeStats {
  /** Bridged connections open right now. */
  active: number;
  /** Connections accepted since start. */
  accepted: number;
  /** Upgrade requests refused (not allowed, bad request, over the limit, shutting down). */
  refused: number;
  /** Connections whose TCP side could not be established. */
  upstreamFailures: number;
  /** Connections ended by a WebSocket protocol error from the client. */
  protocolErrors: number;
  bytesToPostgres: number;
  bytesToClients: number;
}

export interface PgBridge {
  port: number;
  /** "127.0.0.1:PORT/v2", usable directly as `neonConfig.wsProxy`. */
  url: string;
  close(): Promise<void>;
  stats(): PgBridgeStats;
}

// Close codes (RFC 6455 §7.4 and the IANA registry).
const CLOSE_NORMAL = 1000;
const CLOSE_GOING_AWAY = 1001;
const CLOSE_INTERNAL_ERROR = 1011;
const CLOSE_BAD_GATEWAY = 1014;

interface Bridged {
  ws: WebSocket;
  tcp: net.Socket;
}

export async function startPgBridge(opts: PgBridgeOptions): Promise<PgBridge> {
  const log = safeLog(opts.log);
  const allow = new Set<string>();
  for (const entry of opts.allow) {
    const parsed = parseHostPort(entry.trim());
    if (!parsed) throw new Error(`invalid allow-list entry "${entry}" (expected host:port)`);
    allow.add(formatHostPort(parsed.host, parsed.port));
  }
  const maxConnections = opts.maxConnections ?? 1000;
  const maxBuffered = opts.maxBufferedBytes ?? 1024 * 1024;
  const idleTimeoutMs = opts.idleTimeoutMs ?? 0;
  const rttMs = simulatedRtt(opts.simulatedRttMs);
  // Each direction of a connection goes through its own delay line; off, actions run at once.
  const direction = (): ((run: () => void) => void) => {
    if (rttMs === 0) return (run) => run();
    const line = new DelayLine(rttMs / 2);
    return (run) => line.push(run);
  };

  const stats: PgBridgeStats = {
    active: 0,
    accepted: 0,
    refused: 0,
    upstreamFailures: 0,
    protocolErrors: 0,
    bytesToPostgres: 0,
    bytesToClients: 0,
  };
  const open = new Set<Bridged>();
  let closing = false;
  let seq = 0;

  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: opts.maxMessageBytes ?? 64 * 1024 * 1024,
  });

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health' && (req.method === 'GET' || req.method === 'HEAD')) {
      const body = '{"status":"ok"}';
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
      res.end(body);
      return;
    }
    const status = path === '/v2' || path === '/' ? 426 : 404;
    const body = JSON.stringify({ error: status === 426 ? 'WebSocket upgrade required' : 'not found' });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(body.length) });
    res.end(body);
  });
  server.headersTimeout = 10_000;
  server.on('clientError', (err, socket: Duplex) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
    log({ level: 'debug', msg: 'pg bridge client error', error: describeError(err) });
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // The http server drops its own listeners on upgrade; without one, a reset here would be
    // an unhandled 'error' event and would crash the process.
    socket.on('error', (err) =>
      log({ level: 'debug', msg: 'pg bridge socket error before upgrade', error: describeError(err) }),
    );
    const [path = '/', query = ''] = (req.url ?? '/').split('?', 2);
    const refuse = (status: number, reason: string, fields: Record<string, unknown> = {}) => {
      stats.refused += 1;
      log({
        level: 'warn',
        msg: 'pg bridge refused connection',
        status,
        reason,
        remote: req.socket.remoteAddress,
        ...fields,
      });
      rejectUpgrade(socket, status, reason);
    };
    if (closing) return refuse(503, 'shutting down');
    if (path !== '/v2' && path !== '/') return refuse(404, 'not found');
    const address = new URLSearchParams(query).get('address') ?? '';
    const target = parseHostPort(address);
    if (!target) return refuse(400, 'missing or invalid address parameter', { address: address.slice(0, 200) });
    const key = formatHostPort(target.host, target.port);
    if (!allow.has(key)) return refuse(403, 'address not allowed', { address: key });
    if (open.size >= maxConnections) return refuse(503, 'too many connections', { address: key });
    // ws validates the handshake itself and answers 400 on a bad one; the callback runs
    // synchronously here (no verifyClient, no extensions), so the limit check above holds.
    const upgrade = () =>
      wss.handleUpgrade(req, socket, head, (ws) => bridge(ws, target.host, target.port, key, req.socket.remoteAddress));
    if (rttMs === 0) return upgrade();
    // Simulated distance: the TCP handshake and the upgrade request and answer, one RTT each.
    setTimeout(() => {
      if (closing) return refuse(503, 'shutting down');
      if (!socket.destroyed) upgrade();
    }, 2 * rttMs);
  });

  function bridge(ws: WebSocket, host: string, port: number, address: string, remote: string | undefined): void {
    const id = ++seq;
    const startedAt = Date.now();
    const tcp = net.connect({ host, port });
    const conn: Bridged = { ws, tcp };
    open.add(conn);
    stats.active = open.size;
    stats.accepted += 1;
    let connected = false;
    let tcpError: Error | null = null;
    let tcpPaused = false;
    let finished = false;
    let up = 0;
    let down = 0;
    const toPostgres = direction();
    const toClient = direction();
    tcp.setNoDelay(true);
    tcp.setKeepAlive(true, 60_000);
    if (idleTimeoutMs > 0) tcp.setTimeout(idleTimeoutMs);

    const finish = () => {
      if (finished) return;
      finished = true;
      open.delete(conn);
      stats.active = open.size;
      log({
        level: 'debug',
        msg: 'pg bridge connection closed',
        id,
        address,
        bytesToPostgres: up,
        bytesToClient: down,
        ms: Date.now() - startedAt,
      });
    };
    const closeWs = (code: number, reason: string) => {
      if (ws.readyState === WebSocket.OPEN) ws.close(code, reason);
      else if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    };
    const resumeTcp = () => {
      if (tcpPaused && ws.bufferedAmount <= maxBuffered) {
        tcpPaused = false;
        tcp.resume();
      }
    };

    tcp.on('connect', () => {
      connected = true;
      log({ level: 'debug', msg: 'pg bridge connection open', id, address, remote });
    });

    // Client → Postgres. Writes made before the TCP connect completes are queued by the socket,
    // so a pipelining client loses nothing; the same buffer limit applies to that queue.
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      const chunk = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      up += chunk.length;
      stats.bytesToPostgres += chunk.length;
      toPostgres(() => {
        if (tcp.destroyed) return;
        tcp.write(chunk);
        if (tcp.writableLength > maxBuffered && !ws.isPaused) {
          ws.pause();
          tcp.once('drain', () => ws.resume());
        }
      });
    });

    // Postgres → client. ws has no 'drain' event; the per-send callback fires once the frame is
    // handed to the socket, which is when bufferedAmount can have dropped.
    tcp.on('data', (chunk: Buffer) => {
      down += chunk.length;
      stats.bytesToClients += chunk.length;
      toClient(() => {
        if (ws.readyState !== WebSocket.OPEN) return;
        ws.send(chunk, { binary: true }, resumeTcp);
        if (ws.bufferedAmount > maxBuffered && !tcpPaused) {
          tcpPaused = true;
          tcp.pause();
        }
      });
    });

    tcp.on('timeout', () => {
      log({ level: 'info', msg: 'pg bridge connection idle, closing', id, address, idleTimeoutMs });
      closeWs(CLOSE_GOING_AWAY, 'idle timeout');
      tcp.destroy();
    });
    tcp.on('error', (err) => {
      tcpError = err;
      if (!connected) stats.upstreamFailures += 1;
      log({
        level: connected ? 'info' : 'warn',
        msg: connected ? 'pg bridge upstream error' : 'pg bridge upstream connect failed',
        id,
        address,
        error: describeError(err),
      });
    });
    // Postgres closing (after Terminate, on an admin kill, or a crash) must close the WebSocket:
    // the Neon driver never closes its socket after pool.end(), so otherwise both leak.
    // Behind the data still on its way to the client, when the RTT is simulated.
    tcp.on('close', () =>
      toClient(() => {
        if (!connected) closeWs(CLOSE_BAD_GATEWAY, 'could not connect to the database');
        else if (tcpError) closeWs(CLOSE_INTERNAL_ERROR, 'database connection failed');
        else closeWs(CLOSE_NORMAL, 'database closed the connection');
        if (ws.readyState === WebSocket.CLOSED) finish();
      }),
    );

    ws.on('error', (err) => {
      // ws has already sent a close frame (1002/1007/1009) and will drop the socket; we only
      // account for it. The 'close' handler below releases the TCP side.
      stats.protocolErrors += 1;
      log({ level: 'info', msg: 'pg bridge websocket error', id, address, error: describeError(err) });
    });
    ws.on('close', () => {
      // Behind the client's last messages (its Terminate), when the RTT is simulated.
      toPostgres(() => tcp.destroy());
      finish();
    });
  }

  const host = opts.host ?? '127.0.0.1';
  const port = await listen(server, host, opts.port ?? 0);
  const url = `${dialableHost(host)}:${port}/v2`;
  log({ level: 'info', msg: 'pg bridge listening', url, allow: [...allow] });
  if (rttMs > 0) log({ level: 'warn', msg: 'pg bridge simulating a distant database (benchmarks only)', rttMs });

  let closed: Promise<void> | null = null;
  return {
    port,
    url,
    stats: () => ({ ...stats }),
    close() {
      closed ??= (async () => {
        closing = true;
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        for (const { ws, tcp } of open) {
          if (ws.readyState === WebSocket.OPEN) ws.close(CLOSE_GOING_AWAY, 'bridge shutting down');
          tcp.destroy();
        }
        // Give clients a moment to answer the close frame, then cut whatever is left.
        const deadline = Date.now() + 2000;
        while (open.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        for (const { ws } of open) ws.terminate();
        await serverClosed;
        log({ level: 'info', msg: 'pg bridge stopped' });
      })();
      return closed;
    },
  };
}

/** Answers an upgrade request with a plain HTTP error and closes the socket. */
function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ error: reason });
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Connection: close\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  // end() waits for the peer; a client that never reads must not pin the socket.
  setTimeout(() => socket.destroy(), 1000).unref();
}
