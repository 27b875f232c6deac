/**
 * Helpers for the security black-box tests (test/node/security-*.test.ts): raw HTTP over a socket (for broken
 * framing), a TCP forwarder that can be cut (Postgres becomes unreachable without stopping anyone's server),
 * admin credentials, and an honest count of Postgres sessions opened on a database.
 */
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { DEFAULT_DATABASE_URL, nodePool } from '../../scripts/lib/platform.mjs';

export type Pool = Awaited<ReturnType<typeof nodePool>>;

/** An admin credential stored the way shared/admin-auth.ts reads it (SHA-256 of the token only). */
export async function adminCredential(
  pool: Pool,
  principal: string,
  roles: string[],
  attributes: Record<string, unknown> = {},
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  const hash = createHash('sha256').update(token).digest('base64url');
  await pool.query(
    'insert into admin_credentials (id, token_hash, principal_id, roles, attributes) values ($1, $2, $3, $4, $5)',
    [`cred-${principal}-${randomBytes(4).toString('hex')}`, hash, principal, JSON.stringify(roles), attributes],
  );
  return token;
}

export interface RawResponse {
  /** The status code, or null when the server closed without an HTTP response. */
  status: number | null;
  head: string;
  body: string;
}

/**
 * Sends `bytes` on a fresh TCP connection to `address` ("host:port"), then half-closes the write side (FIN) so the
 * server sees the body end where the bytes end, and reads until the server closes (or `timeoutMs`).
 */
export function rawHttp(address: string, bytes: string | Buffer, timeoutMs = 15_000): Promise<RawResponse> {
  const [host, port] = address.split(':') as [string, string];
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ host, port: Number(port) });
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const head = split === -1 ? text : text.slice(0, split);
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      resolve({ status: match ? Number(match[1]) : null, head, body: split === -1 ? '' : text.slice(split + 4) });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', finish);
    socket.on('close', finish);
    socket.on('connect', () => {
      socket.write(bytes);
      socket.end();
    });
  });
}

/**
 * A TCP forwarder in front of a server (here: Postgres) that the test can cut and restore. Cutting closes the
 * listener and every forwarded connection, so the server behind it becomes unreachable exactly as if it were down,
 * while the machine's real server keeps serving everyone else.
 */
export class TcpForwarder {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(port = 0): Promise<number> {
    const server = net.createServer((client) => {
      const upstream = net.connect({ host: this.targetHost, port: this.targetPort });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Refuses new connections and drops the open ones. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the same port. */
  async restore(): Promise<void> {
    if (!this.server) await this.start(this.port);
  }
}

/** The machine's Postgres admin URL (where the tests create their databases). */
export function machineDatabaseUrl(): string {
  return process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
}

/**
 * Counts sessions (backends) ever opened on one database, from `pg_stat_database.sessions` read over a connection
 * to *another* database, so the counter's own connection is not counted. Backends report on exit, so `settled()`
 * polls until the count stops moving (with a deadline) before a test compares it.
 */
export class SessionCounter {
  private constructor(
    private readonly pool: Pool,
    private readonly database: string,
  ) {}

  static async open(pgProxy: string, databaseUrl: string, adminUrl = machineDatabaseUrl()): Promise<SessionCounter> {
    const database = new URL(databaseUrl).pathname.slice(1);
    return new SessionCounter(await nodePool(adminUrl, pgProxy), database);
  }

  async read(): Promise<number> {
    const { rows } = await this.pool.query('select sessions from pg_stat_database where datname = $1', [this.database]);
    return Number(rows[0]?.sessions ?? 0);
  }

  /** The count once two reads 300 ms apart agree (at most `deadlineMs`). */
  async settled(deadlineMs = 5_000): Promise<number> {
    const deadline = Date.now() + deadlineMs;
    let last = await this.read();
    for (;;) {
      await new Promise((r) => setTimeout(r, 300));
      const now = await this.read();
      if (now === last || Date.now() > deadline) return now;
      last = now;
    }
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => {});
  }
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight; results in order. */
export async function pooled<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

/** Polls `check` until it returns true; returns the elapsed ms, or throws `message` after `limitMs`. */
export async function within(limitMs: number, check: () => Promise<boolean>, message: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > limitMs) throw new Error(`${message} (not within ${limitMs} ms)`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
