/**
 * Test helpers: the machine's servers, a minimal Postgres-over-WebSocket client for cases the
 * Neon driver cannot produce (vanishing mid-query), raw WebSocket handshakes for malformed
 * frames, and polling.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { neonConfig } from '@neondatabase/serverless';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { closeServer, listen } from '../src/net-util.js';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export function pgAddress(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 5432}`;
}

export function randomId(): string {
  return randomBytes(6).toString('hex');
}

/** Points the Neon driver at a bridge, as the Workers do off Cloudflare (Node 20 needs `ws`). */
export function useBridge(bridgeUrl: string): void {
  neonConfig.webSocketConstructor = WebSocket;
  neonConfig.wsProxy = (host, port) => `${bridgeUrl}?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineTLS = false;
  neonConfig.pipelineConnect = false;
}

export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A temp folder the `postgres` OS user can reach when tests run as root (mkdtemp makes it 0700). */
export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dataplane-test-'));
  await chmod(dir, 0o755);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

// ---------------------------------------------------------------------------------------------
// Minimal Postgres wire client over a WebSocket
// ---------------------------------------------------------------------------------------------

export interface RawPgSession {
  ws: WebSocket;
  /** Sends a simple Query message (does not wait for the result). */
  sendQuery(sql: string): void;
  /** Resolves when a message of this type byte arrives (e.g. 'Z' ReadyForQuery). */
  waitForMessage(type: string): Promise<Buffer>;
}

export async function openRawPgSession(wsUrl: string, user = 'postgres', database = 'postgres'): Promise<RawPgSession> {
  const ws = new WebSocket(wsUrl);
  ws.binaryType = 'nodebuffer';
  let buffered = Buffer.alloc(0);
  const waiters: { type: string; resolve: (b: Buffer) => void }[] = [];
  ws.on('message', (data: Buffer) => {
    buffered = Buffer.concat([buffered, data]);
    while (buffered.length >= 5) {
      const len = buffered.readInt32BE(1);
      if (buffered.length < 1 + len) break;
      const type = String.fromCharCode(buffered[0] as number);
      const body = buffered.subarray(5, 1 + len);
      buffered = buffered.subarray(1 + len);
      const i = waiters.findIndex((w) => w.type === type);
      if (i >= 0) waiters.splice(i, 1)[0]?.resolve(body);
    }
  });
  const waitForMessage = (type: string) => new Promise<Buffer>((resolve) => waiters.push({ type, resolve }));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const params = Buffer.from(`user\0${user}\0database\0${database}\0\0`);
  const startup = Buffer.alloc(8 + params.length);
  startup.writeInt32BE(startup.length, 0);
  startup.writeInt32BE(196608, 4);
  params.copy(startup, 8);
  const ready = waitForMessage('Z');
  ws.send(startup);
  await ready;
  return {
    ws,
    waitForMessage,
    sendQuery(sql) {
      const text = Buffer.from(`${sql}\0`);
      const msg = Buffer.alloc(5 + text.length);
      msg.write('Q', 0, 'latin1');
      msg.writeInt32BE(4 + text.length, 1);
      text.copy(msg, 5);
      ws.send(msg);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Raw WebSocket handshake over TCP (to send frames no WebSocket library would produce)
// ---------------------------------------------------------------------------------------------

export async function rawUpgrade(
  port: number,
  pathAndQuery: string,
): Promise<{ socket: net.Socket; received: () => Buffer; closed: Promise<void> }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  let data = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    data = Buffer.concat([data, chunk]);
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  socket.write(
    `GET ${pathAndQuery} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  await waitFor(() => data.includes('\r\n\r\n'), 3000, 'handshake response');
  const headerEnd = data.indexOf('\r\n\r\n') + 4;
  const head = data.subarray(0, headerEnd).toString('latin1');
  if (!head.startsWith('HTTP/1.1 101')) throw new Error(`upgrade failed: ${head.split('\r\n')[0]}`);
  data = data.subarray(headerEnd);
  return { socket, received: () => data, closed };
}

/** Extracts the close code of the first server close frame (opcode 8) in `data`, if any. */
export function closeCodeIn(data: Buffer): number | null {
  let i = 0;
  while (i + 2 <= data.length) {
    const opcode = (data[i] as number) & 0x0f;
    let len = (data[i + 1] as number) & 0x7f;
    let offset = i + 2;
    if (len === 126) {
      len = data.readUInt16BE(offset);
      offset += 2;
    } else if (len === 127) {
      return null; // never used by a server close frame
    }
    if (opcode === 8) return len >= 2 ? data.readUInt16BE(offset) : 1005;
    i = offset + len;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Redis key hygiene
// ---------------------------------------------------------------------------------------------

/** Deletes every key under `prefix` (SCAN + DEL; never FLUSHDB on a shared server). */
export { deleteRedisKeys as deleteKeys } from '../../scripts/lib/redis-keys.mjs';

/** One command against a Redis URL, straight (not through the bridge); for setup and checks in tests. */
export async function redisCommand(redisUrl: string, args: string[]): Promise<unknown> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0 });
  await redis.connect();
  try {
    return await redis.call(args[0] as string, ...args.slice(1));
  } finally {
    redis.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// A scripted fake Redis, for what a real server does not do (stay silent, send garbage, reply twice)
// ---------------------------------------------------------------------------------------------

/** Splits a client's byte stream into commands (clients only ever send arrays of bulk strings). */
function requestSplitter(onCommand: (args: string[]) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const head = buf.indexOf('\r\n');
      if (head < 0 || buf[0] !== 0x2a) return;
      const count = Number(buf.toString('latin1', 1, head));
      let pos = head + 2;
      const args: string[] = [];
      for (let i = 0; i < count; i++) {
        const end = buf.indexOf('\r\n', pos);
        if (end < 0) return;
        const len = Number(buf.toString('latin1', pos + 1, end));
        if (buf.length < end + 2 + len + 2) return;
        args.push(buf.toString('utf8', end + 2, end + 2 + len));
        pos = end + 2 + len + 2;
      }
      buf = buf.subarray(pos);
      onCommand(args);
    }
  };
}

export interface FakeRedis {
  port: number;
  /** Every command received, as "NAME arg ...", in order. */
  seen: string[];
  /** Connections accepted so far. */
  connections: () => number;
  stop(): Promise<void>;
}

/**
 * A TCP server speaking just enough RESP for ioredis: `reply` returns the raw bytes to answer a command with, or
 * null to stay silent. INFO (ioredis' ready check) is answered with an empty bulk string unless `reply` handles it.
 */
export async function fakeRedis(reply: (args: string[]) => string | null, port = 0): Promise<FakeRedis> {
  const sockets = new Set<net.Socket>();
  const seen: string[] = [];
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.on(
      'data',
      requestSplitter((raw) => {
        // Command names as Redis sees them: case-insensitive; shown upper-case here.
        const args = [(raw[0] ?? '').toUpperCase(), ...raw.slice(1)];
        seen.push(args.join(' '));
        const answer = reply(args) ?? (args[0] === 'INFO' ? '$0\r\n\r\n' : null);
        if (answer !== null) socket.write(answer);
      }),
    );
  });
  const bound = await listen(server, '127.0.0.1', port);
  return {
    port: bound,
    seen,
    connections: () => accepted,
    async stop() {
      for (const s of sockets) s.destroy();
      await closeServer(server);
    },
  };
}
