/**
 * Redis is a cache, never an authority:
 * - a flushed (or restarted-empty) Redis must not bring revoked tokens back: a denylist miss is only final once
 *   the Worker knows the denylist is complete (rebuilt from `revoked_tokens`), otherwise it asks Postgres or
 *   fails closed;
 * - cached client records are authenticated, so whoever can write Redis cannot mint a client or replace a
 *   client's secret: a forged `client:<id>` / `client-version:<id>` pair is ignored.
 *
 * Runs on a private redis-server (its own port and folder): FLUSHALL on the machine's Redis would wipe other runs.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, startLocalRedis } from '../../dataplane/src/index.js';
import {
  basicHeader,
  clientCredentials,
  decodeJwt,
  introspect,
  postForm,
  register,
  startTokenPlatform,
  type TokenPlatform,
} from './token-helpers.js';

let dir: string;
let redis: LocalServer;
let tp: TokenPlatform;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'esp-sec-redis-'));
  redis = await startLocalRedis({ dataDir: join(dir, 'redis') });
  tp = await startTokenPlatform({}, { redisUrl: redis.url });
}, 90_000);

afterAll(async () => {
  await tp?.stop();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** FLUSHALL on the private server, straight over RESP (the REST bridge refuses server-wide commands). */
function flushAll(): Promise<void> {
  const port = Number(new URL(redis.url).port);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write('FLUSHALL\r\n'));
    socket.once('data', (reply: Buffer) => {
      socket.destroy();
      if (reply.toString().startsWith('+OK')) resolve();
      else reject(new Error(`FLUSHALL answered ${reply.toString()}`));
    });
    socket.once('error', reject);
  });
}

const tokenUrl = () => `${tp.platform.urls.auth}/oauth/token`;

describe('revocations survive an empty Redis', () => {
  it('a token revoked before FLUSHALL still introspects as inactive, in the running and in a fresh process', async () => {
    const client = await register(tp, { scope: 'read' });
    const { token } = await clientCredentials(tp, client);
    const revoke = await postForm(`${tp.platform.urls.auth}/oauth/revoke`, `token=${token.access_token}`, {
      authorization: basicHeader(client.client_id, client.client_secret),
    });
    expect(revoke.status).toBe(200);
    expect((await introspect(tp, client, token.access_token)).body.active).toBe(false);
    const stored = await tp.sql('select jti from revoked_tokens where jti = $1', [
      decodeJwt(token.access_token).claims.jti,
    ]);
    expect(stored, 'the revocation is recorded durably').toHaveLength(1);

    await flushAll();
    const afterFlush = (await introspect(tp, client, token.access_token)).body;
    expect(afterFlush.active, `revoked token introspected as ${JSON.stringify(afterFlush)} after FLUSHALL`).toBe(false);

    // Fresh isolates (a restarted pod) after the flush: nothing in memory to fall back on.
    await tp.platform.restartWorkerd();
    await flushAll();
    const fresh = (await introspect(tp, client, token.access_token)).body;
    expect(fresh.active, 'revoked token active in a fresh process after FLUSHALL').toBe(false);
  }, 60_000);
});

function forgedRecord(clientId: string, secret: string, version: number) {
  return JSON.stringify({
    clientId,
    secretHash: createHash('sha256').update(secret).digest('base64url'),
    status: 'active',
    version,
    metadata: {
      redirect_uris: [],
      grant_types: ['client_credentials'],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'read write admin',
      allowed_resources: [],
    },
    rateLimit: null,
    clientIdIssuedAt: Math.floor(Date.now() / 1000),
    clientSecretExpiresAt: 0,
  });
}

/** Writes the record/version pair the way workers/auth/src/storage/clients.ts lays the client cache out. */
async function plant(clientId: string, secret: string, version: number): Promise<void> {
  const prefix = tp.platform.redisPrefix;
  await tp.platform.redis.set(`${prefix}client:${clientId}`, forgedRecord(clientId, secret, version), { ex: 3600 });
  await tp.platform.redis.set(`${prefix}client-version:${clientId}`, String(version), { ex: 3600 });
}

describe('forged client records in Redis are ignored', () => {
  it('a client that exists only in Redis cannot obtain a token', async () => {
    const clientId = `forged-${randomBytes(8).toString('hex')}`;
    const secret = randomBytes(32).toString('base64url');
    await plant(clientId, secret, 7);
    const res = await postForm(tokenUrl(), 'grant_type=client_credentials&scope=admin', {
      authorization: basicHeader(clientId, secret),
    });
    expect(res.status, `a client minted in Redis got ${res.status} ${JSON.stringify(res.json)}`).toBe(401);
    expect(res.json?.error).toBe('invalid_client');
  });

  it("a forged record cannot replace a real client's secret or scope", async () => {
    const victim = await register(tp, { scope: 'read' });
    expect((await clientCredentials(tp, victim)).token.scope).toBe('read');
    const attackerSecret = randomBytes(32).toString('base64url');
    await plant(victim.client_id, attackerSecret, 999);

    // Isolates re-check a cached client against Redis every CLIENT_CACHE_TTL_MS (1 s): keep trying past that.
    const deadline = Date.now() + 3_000;
    const accepted: unknown[] = [];
    while (Date.now() < deadline && accepted.length === 0) {
      const res = await postForm(tokenUrl(), 'grant_type=client_credentials&scope=admin', {
        authorization: basicHeader(victim.client_id, attackerSecret),
      });
      if (res.status === 200) accepted.push(decodeJwt(res.json?.access_token).claims);
      else await new Promise((r) => setTimeout(r, 200));
    }
    expect(accepted, 'the forged secret was accepted').toEqual([]);

    const legit = await postForm(tokenUrl(), 'grant_type=client_credentials', {
      authorization: basicHeader(victim.client_id, victim.client_secret),
    });
    expect(legit.status, 'the real secret must keep working').toBe(200);
    expect(legit.json?.scope).toBe('read');
  }, 30_000);
});
