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
import WebSocket from 'ws';
import { RedisConnection, parseRedisUrl } from '../src/resp.js';

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
export async function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
  const conn = new RedisConnection(parseRedisUrl(redisUrl), { reconnect: false }).connect();
  await conn.waitReady();
  try {
    let cursor = '0';
    do {
      const reply = (await conn.send(['SCAN', cursor, 'MATCH', `${prefix}*`, 'COUNT', '1000'])) as [Buffer, Buffer[]];
      cursor = reply[0].toString();
      if (reply[1].length > 0) await conn.send(['DEL', ...reply[1]]);
    } while (cursor !== '0');
  } finally {
    await conn.close();
  }
}
