import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closeServer, listen } from '../src/net-util.js';
import {
  RedisConnection,
  RedisConnectionLostError,
  RedisErrorReply,
  RedisUnavailableError,
  RespParser,
  RespProtocolError,
  type RespValue,
  encodeCommand,
  parseRedisUrl,
} from '../src/resp.js';
import { REDIS_URL, waitFor } from './helpers.js';

const SAMPLE =
  '+OK\r\n' +
  '-ERR wrong\r\n' +
  ':42\r\n' +
  ':-7\r\n' +
  ':9223372036854775807\r\n' +
  '$5\r\nhe\r\nl\r\n' + // CRLF inside a bulk string is data
  '$0\r\n\r\n' +
  '$-1\r\n' +
  '*-1\r\n' +
  '*0\r\n' +
  '*3\r\n:1\r\n*2\r\n$1\r\na\r\n*0\r\n+x\r\n' +
  '+\r\n';

const EXPECTED: RespValue[] = [
  'OK',
  new RedisErrorReply('ERR wrong'),
  42,
  -7,
  9223372036854775807n,
  Buffer.from('he\r\nl'),
  Buffer.alloc(0),
  null,
  null,
  [],
  [1, [Buffer.from('a'), []], 'x'],
  '',
];

function parseAll(chunks: Buffer[]): RespValue[] {
  const out: RespValue[] = [];
  const parser = new RespParser((v) => out.push(v));
  for (const c of chunks) parser.feed(c);
  return out;
}

describe('RESP parser', () => {
  it('parses every reply type', () => {
    expect(parseAll([Buffer.from(SAMPLE)])).toEqual(EXPECTED);
  });

  it('gives the same result however the input is split', () => {
    const bytes = Buffer.from(SAMPLE);
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(parseAll([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(EXPECTED);
    }
    expect(parseAll([...bytes].map((b) => Buffer.from([b])))).toEqual(EXPECTED);
  });

  it('collects a large bulk string from many chunks without reparsing', () => {
    const payload = Buffer.alloc(5 * 1024 * 1024, 0x61);
    const bytes = Buffer.concat([Buffer.from(`$${payload.length}\r\n`), payload, Buffer.from('\r\n:1\r\n')]);
    const out: RespValue[] = [];
    const parser = new RespParser((v) => out.push(v));
    for (let i = 0; i < bytes.length; i += 65536) parser.feed(bytes.subarray(i, i + 65536));
    expect(out).toHaveLength(2);
    expect((out[0] as Buffer).equals(payload)).toBe(true);
    expect(out[1]).toBe(1);
    expect(parser.bufferedBytes).toBe(0);
  });

  it('rejects malformed input', () => {
    for (const bad of ['?what\r\n', ':12a\r\n', '$abc\r\n', '$3\r\nabcXY', '*x\r\n']) {
      expect(() => parseAll([Buffer.from(bad)]), bad).toThrow(RespProtocolError);
    }
    const limited = new RespParser(() => {}, { maxBulkBytes: 10 });
    expect(() => limited.feed(Buffer.from('$11\r\n'))).toThrow(/exceeds limit/);
  });

  it('encodes commands as arrays of bulk strings', () => {
    expect(encodeCommand(['SET', 'k', 'é', 5]).toString()).toBe('*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n$1\r\n5\r\n');
  });

  it('parses Redis URLs', () => {
    expect(parseRedisUrl('redis://:s%40cret@db.local:6380/2')).toEqual({
      host: 'db.local',
      port: 6380,
      tls: false,
      username: undefined,
      password: 's@cret',
      db: 2,
    });
    expect(parseRedisUrl('rediss://user:pw@[::1]')).toMatchObject({
      host: '::1',
      port: 6379,
      tls: true,
      username: 'user',
      db: 0,
    });
    expect(() => parseRedisUrl('http://x')).toThrow(/scheme/);
  });
});

describe('RESP connection', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** A fake Redis whose behaviour per connection is scripted by the test. */
  async function fakeServer(onConnection: (socket: net.Socket) => void, port = 0) {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
      onConnection(socket);
    });
    const bound = await listen(server, '127.0.0.1', port);
    const stop = async () => {
      for (const s of sockets) s.destroy();
      await closeServer(server);
    };
    cleanups.push(stop);
    return { port: bound, sockets, stop };
  }

  it('pipelines against the real Redis and keeps replies in order', async () => {
    const conn = new RedisConnection(parseRedisUrl(REDIS_URL)).connect();
    cleanups.push(() => conn.close());
    await conn.waitReady();
    const replies = await Promise.all(Array.from({ length: 500 }, (_, i) => conn.send(['ECHO', `m${i}`])));
    expect(replies.map((r) => (r as Buffer).toString())).toEqual(Array.from({ length: 500 }, (_, i) => `m${i}`));
    expect(await conn.send(['NOSUCHCMD'])).toBeInstanceOf(RedisErrorReply);
    expect(await conn.send(['PING'])).toBe('PONG');
  });

  it('fails pending commands when the server goes away, fails fast while down, then recovers', async () => {
    // First server: accepts commands but never answers, then vanishes.
    const silent = await fakeServer(() => {});
    const conn = new RedisConnection(
      { host: '127.0.0.1', port: silent.port, tls: false, db: 0 },
      { minReconnectDelayMs: 20, maxReconnectDelayMs: 100, commandTimeoutMs: 0 },
    ).connect();
    cleanups.push(() => conn.close());
    await conn.waitReady();
    const pending = conn.send(['GET', 'x']);
    await waitFor(() => silent.sockets.size === 1);
    await silent.stop();
    await expect(pending).rejects.toBeInstanceOf(RedisConnectionLostError);
    await expect(pending).rejects.toThrow(/may or may not have run/);
    expect(conn.ready).toBe(false);
    await expect(conn.send(['PING'])).rejects.toBeInstanceOf(RedisUnavailableError);

    // Same port comes back as a server that answers PING.
    await fakeServer((socket) => socket.on('data', () => socket.write('+PONG\r\n')), silent.port);
    await conn.waitReady(3000);
    expect(await conn.send(['PING'])).toBe('PONG');
  });

  it('drops the connection on a protocol error or an unsolicited reply', async () => {
    const evil = await fakeServer((socket) => socket.on('data', () => socket.write('+OK\r\n+EXTRA\r\n')));
    const conn = new RedisConnection(
      { host: '127.0.0.1', port: evil.port, tls: false, db: 0 },
      { reconnect: false },
    ).connect();
    cleanups.push(() => conn.close());
    await conn.waitReady();
    // The first reply is delivered; the extra one means the stream is out of sync.
    await expect(conn.send(['PING'])).resolves.toBe('OK');
    await waitFor(() => !conn.ready);
    expect(conn.lastErrorMessage).toMatch(/no command outstanding/);
  });

  it('replaces a connection whose replies stop coming (command timeout)', async () => {
    const silent = await fakeServer(() => {});
    const conn = new RedisConnection(
      { host: '127.0.0.1', port: silent.port, tls: false, db: 0 },
      { commandTimeoutMs: 200, reconnect: false },
    ).connect();
    cleanups.push(() => conn.close());
    await conn.waitReady();
    await expect(conn.send(['GET', 'x'])).rejects.toThrow(/no reply within 200 ms/);
  });

  it('runs AUTH and SELECT before user commands, and reports a failed AUTH', async () => {
    const seen: string[] = [];
    const server = await fakeServer((socket) =>
      socket.on('data', (d) => {
        const parser = new RespParser((v) => {
          const [name, ...args] = (v as Buffer[]).map((b) => b.toString());
          seen.push([name, ...args].join(' '));
          socket.write(name === 'AUTH' && args[0] !== 'good' ? '-WRONGPASS invalid password\r\n' : '+OK\r\n');
        });
        parser.feed(d);
      }),
    );
    const good = new RedisConnection(parseRedisUrl(`redis://:good@127.0.0.1:${server.port}/3`), {
      reconnect: false,
    }).connect();
    cleanups.push(() => good.close());
    await good.waitReady();
    await good.send(['PING']);
    expect(seen).toEqual(['AUTH good', 'SELECT 3', 'PING']);

    const bad = new RedisConnection(parseRedisUrl(`redis://:bad@127.0.0.1:${server.port}`), {
      reconnect: false,
    }).connect();
    cleanups.push(() => bad.close());
    await expect(bad.waitReady()).rejects.toThrow(/AUTH failed: WRONGPASS/);
  });
});
