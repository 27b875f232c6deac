/**
 * Postgres TLS through the WebSocket bridge: when DATABASE_URL asks for TLS (sslmode), the session is encrypted end
 * to end inside the WebSocket stream and the server certificate is verified against PG_ROOT_CERTS. A private
 * Postgres runs with `ssl = on` and a certificate from a CA this test makes; pg_stat_ssl (the server's own view of
 * the session) and its connection log are the evidence, from Node (shared/db/client.ts, the module the Workers use),
 * from the migration Job's program (the one Neon driver setup, shared/db/neon-driver.mjs) and from the four Workers
 * under the real workerd.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { neonConfig } from '@neondatabase/serverless';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type LocalServer, startLocalPostgres } from '../../dataplane/src/local-servers.js';
import { type PgBridge, startPgBridge } from '../../dataplane/src/pg-ws-bridge.js';
import {
  type DataPlane,
  platformConfigPath,
  platformSockets,
  startDataPlane,
  startWorkerd,
  type WorkerdProcess,
  workerEnv,
} from '../../scripts/lib/platform.mjs';
import { ROOT } from '../../scripts/lib/workers.mjs';
import { sql } from 'drizzle-orm';
import { createPostgres, type Database } from '../../shared/db/client.js';
import { requestedPostgresTls } from '../../shared/db/tls.mjs';
import { createTestCa, handKeyToPostgres } from './tls-certs.js';

let dir: string;
let pg: LocalServer;
let bridge: PgBridge;
let trustedCa: string;
let otherCa: string;
const serverLog: string[] = [];

const url = (host: string, query = '') => `postgres://postgres@${host}:${pg.port}/postgres${query}`;
const sessionSsl = sql`select ssl, version from pg_stat_ssl where pid = pg_backend_pid()`;
const selectOne = (db: Database) => db.execute(sql`select 1`);

/** How a call failed: the error's message and its causes (drizzle wraps the driver's error in its own). */
function reason(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => 'no error',
    (err: unknown) => {
      const parts: string[] = [];
      for (let e = err as Error | undefined; e; e = e.cause as Error | undefined) parts.push(e.message);
      return parts.join(': ');
    },
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'esp-pg-tls-'));
  await chmod(dir, 0o755);
  const ca = createTestCa(dir, 'trusted');
  trustedCa = ca.certPem;
  otherCa = createTestCa(dir, 'other').certPem;
  const { certFile, keyFile } = ca.issueServer('postgres-server', ['localhost']);
  handKeyToPostgres(keyFile, certFile);
  pg = await startLocalPostgres({
    dataDir: join(dir, 'pg'),
    settings: { ssl: 'on', ssl_cert_file: certFile, ssl_key_file: keyFile, log_connections: 'on' },
    log: (entry) => {
      if (typeof entry.line === 'string') serverLog.push(entry.line);
    },
  });
  bridge = await startPgBridge({ allow: [`localhost:${pg.port}`, `127.0.0.1:${pg.port}`] });
  // Node 20 has no global WebSocket; workerd has one.
  neonConfig.webSocketConstructor = WebSocket;
}, 60_000);

afterAll(async () => {
  await bridge?.close();
  await pg?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('which URLs ask for TLS', () => {
  it('every sslmode except disable, and ssl=true', () => {
    for (const mode of ['require', 'verify-ca', 'verify-full', 'prefer', 'allow']) {
      expect(requestedPostgresTls(`postgres://h/db?sslmode=${mode}`), mode).toBe('verify-full');
    }
    expect(requestedPostgresTls('postgres://h/db?ssl=true')).toBe('verify-full');
    expect(requestedPostgresTls('postgres://h/db?sslmode=disable')).toBe('off');
    expect(requestedPostgresTls('postgres://h/db')).toBe('off');
    expect(() => requestedPostgresTls('postgres://h/db?sslmode=no-verify')).toThrow(/refused/);
    expect(() => requestedPostgresTls('postgres://h/db?sslmode=requir')).toThrow(/unknown sslmode/);
  });
});

describe('Postgres TLS from shared/db/client.ts through the bridge', () => {
  const postgres = (databaseUrl: string, rootCerts?: string) =>
    createPostgres({ DATABASE_URL: databaseUrl, PG_WS_PROXY: bridge.url, PG_ROOT_CERTS: rootCerts });

  for (const mode of ['require', 'verify-ca', 'verify-full']) {
    it(`sslmode=${mode}: the server reports the session encrypted (pg_stat_ssl)`, async () => {
      const rows = await postgres(url('localhost', `?sslmode=${mode}`), trustedCa).withDb(
        async (db) => (await db.execute(sessionSsl)).rows,
      );
      expect(rows).toEqual([{ ssl: true, version: 'TLSv1.3' }]);
    });
  }

  it('a server certificate from another CA is refused at once, with the reason', async () => {
    const started = Date.now();
    const failure = await reason(postgres(url('localhost', '?sslmode=require'), otherCa).withDb(selectOne));
    expect(failure).toMatch(/TLS handshake failed: .*trusted root/);
    // Not the 5 s connect timeout: the failed handshake itself fails the connect.
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('a certificate that does not name the host in the URL is refused', async () => {
    const failure = await reason(postgres(url('127.0.0.1', '?sslmode=verify-full'), trustedCa).withDb(selectOne));
    expect(failure).toMatch(/TLS handshake failed: .*subjectAltName/);
  });

  it('sslmode without PG_ROOT_CERTS is a configuration error, not a plaintext fallback', async () => {
    await expect(postgres(url('localhost', '?sslmode=require')).withDb(async () => 1)).rejects.toThrow(
      /PG_ROOT_CERTS holds no PEM certificate/,
    );
  });

  it('without sslmode the session stays plaintext, as the URL says', async () => {
    const rows = await postgres(url('localhost'), trustedCa).withDb(async (db) => (await db.execute(sessionSsl)).rows);
    expect(rows).toEqual([{ ssl: false, version: null }]);
  });
});

describe('the db-migrate Job program over TLS', () => {
  const run = (env: Record<string, string>) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [join(ROOT, 'k8s-fallback', 'bin', 'migrate.mjs')], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          MIGRATIONS_DIR: join(ROOT, 'migrations'),
          PG_WS_PROXY: bridge.url,
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('exit', (code) => resolve({ code, out }));
    });
  const tlsUrl = () => url('localhost', '?sslmode=verify-full');

  it('refuses a server signed by another CA, and a TLS URL without PG_ROOT_CERTS', async () => {
    const wrongCa = await run({ DATABASE_URL: tlsUrl(), PG_ROOT_CERTS: otherCa });
    expect(wrongCa.code, wrongCa.out).toBe(1);
    expect(wrongCa.out).toMatch(/TLS handshake failed: .*trusted root/);
    const noRoots = await run({ DATABASE_URL: tlsUrl() });
    expect(noRoots.code, noRoots.out).toBe(2);
    expect(noRoots.out).toMatch(/PG_ROOT_CERTS holds no PEM certificate/);
  });

  it('applies the migrations over an encrypted session', async () => {
    const before = serverLog.length;
    const res = await run({ DATABASE_URL: tlsUrl(), PG_ROOT_CERTS: trustedCa });
    expect(res.code, res.out).toBe(0);
    const authorized = serverLog.slice(before).filter((l) => l.includes('connection authorized'));
    expect(authorized.length).toBeGreaterThan(0);
    for (const line of authorized) expect(line).toMatch(/SSL enabled \(protocol=TLSv1\.3/);
  });
});

describe('Postgres TLS from the Workers under workerd', () => {
  let dp: DataPlane;
  let workerd: WorkerdProcess | undefined;
  const names = ['auth', 'policy', 'admin', 'monitor'] as const;

  const start = async (rootCerts: string) => {
    workerd = await startWorkerd({
      config: platformConfigPath(),
      sockets: () => platformSockets(),
      env: workerEnv(dp, {
        ENVIRONMENT: 'test',
        LOG_REQUESTS: 'false',
        ISSUER: 'http://127.0.0.1:8080',
        KEY_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'),
        PG_ROOT_CERTS: rootCerts,
        // The first handshakes of a fresh isolate compile subtls; this test is about TLS, not latency.
        READY_TIMEOUT_MS: '5000',
      }),
      doStorageDir: join(dir, 'do'),
    });
  };
  const ready = () =>
    Promise.all(
      names.map(async (name) => {
        const res = await fetch(`http://${workerd?.sockets[name]}/ready`);
        return { name, status: res.status, body: (await res.json()) as { failed?: string[] } };
      }),
    );

  beforeAll(async () => {
    dp = await startDataPlane({
      databaseUrl: url('localhost', '?sslmode=verify-full'),
      redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    });
  }, 60_000);

  afterAll(async () => {
    await workerd?.stop();
    await dp?.stop();
  });

  it('every Worker reaches Postgres over TLS, and the server logs each connection as SSL', async () => {
    await start(trustedCa);
    const before = serverLog.length;
    for (const r of await ready())
      expect(r, `${r.name}: ${JSON.stringify(r.body)}\n${workerd?.logs()}`).toMatchObject({ status: 200 });
    const authorized = serverLog.slice(before).filter((l) => l.includes('connection authorized'));
    expect(authorized.length).toBeGreaterThanOrEqual(names.length);
    for (const line of authorized) expect(line).toMatch(/SSL enabled \(protocol=TLSv1\.3/);
  }, 60_000);

  it('with PG_ROOT_CERTS naming another CA, every Worker refuses the server (/ready names postgres)', async () => {
    await workerd?.stop();
    await start(otherCa);
    const before = serverLog.length;
    for (const r of await ready()) expect(r, r.name).toMatchObject({ status: 503, body: { failed: ['postgres'] } });
    expect(serverLog.slice(before).filter((l) => l.includes('connection authorized'))).toEqual([]);
  }, 60_000);
});
