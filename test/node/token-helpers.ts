/**
 * Helpers for the token service's black-box tests: a platform whose ISSUER is the auth Worker's own URL, direct
 * Postgres access to the run's database, and small HTTP helpers. Everything talks to the real workerd, Postgres
 * and Redis.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { nodePool } from '../../scripts/lib/platform.mjs';
import { fromStreamEntry, toStreamFields } from '../../shared/events/event.js';
import { type DataPlaneServers, type Platform, startPlatform } from './harness.js';

export interface TokenPlatform {
  platform: Platform;
  issuer: URL;
  as: oauth.AuthorizationServer;
  kek: Uint8Array;
  registrationToken: string;
  adminToken: string;
  /** SQL against this run's database (through the same WebSocket bridge the Workers use). */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

export const insecure = { [oauth.allowInsecureRequests]: true } as const;

export async function startTokenPlatform(
  env: Record<string, string> = {},
  servers?: DataPlaneServers,
): Promise<TokenPlatform> {
  const kek = new Uint8Array(randomBytes(32));
  const registrationToken = randomBytes(32).toString('base64url');
  const adminToken = randomBytes(32).toString('base64url');
  const platform = await startPlatform({
    servers,
    env: {
      KEY_ENCRYPTION_KEY: Buffer.from(kek).toString('base64'),
      REGISTRATION_TOKEN: registrationToken,
      ADMIN_BOOTSTRAP_TOKEN: adminToken,
      SCOPES_SUPPORTED: 'read write admin',
      // The policy Worker's first decision parses its set; on a loaded 2-core machine that can exceed the 2 s
      // default, and the fail-closed 503 would then stand in for the decision the tests are about.
      SERVICE_TIMEOUT_MS: '10000',
      // Generous limits: the rate limiter has its own tests; these tests must not trip it by accident.
      RATE_LIMIT_IP_REGISTER_CAPACITY: '1000',
      RATE_LIMIT_REGISTER_CAPACITY: '1000',
      RATE_LIMIT_IP_TOKEN_CAPACITY: '100000',
      RATE_LIMIT_IP_TOKEN_REFILL_PER_SECOND: '10000',
      ...env,
    },
  });
  let pool: Awaited<ReturnType<typeof nodePool>> | undefined;
  try {
    // The issuer is the auth Worker's own URL, known only once its port is: restart workerd with it.
    await platform.restartWorkerd({ ISSUER: platform.urls.auth });
    const issuer = new URL(platform.urls.auth);
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
    );
    pool = await nodePool(platform.databaseUrl, platform.pgProxy);
    const db = pool;
    return {
      platform,
      issuer,
      as,
      kek,
      registrationToken,
      adminToken,
      async sql<T>(text: string, params: unknown[] = []) {
        return (await db.query(text, params)).rows as T[];
      },
      async stop() {
        await db.end().catch(() => {});
        await platform.stop();
      },
    };
  } catch (err) {
    await pool?.end().catch(() => {});
    await platform.stop();
    throw err;
  }
}

export interface RegisteredClient {
  client_id: string;
  client_secret: string;
  registration_access_token: string;
  registration_client_uri: string;
  [k: string]: unknown;
}

export async function register(tp: TokenPlatform, metadata: Record<string, unknown> = {}): Promise<RegisteredClient> {
  // Extension fields (allowed_resources, access_token_lifetime, rate_limit) are not in oauth4webapi's Client type.
  const res = await oauth.dynamicClientRegistrationRequest(tp.as, metadata as Partial<oauth.Client>, {
    initialAccessToken: tp.registrationToken,
    ...insecure,
  });
  return (await oauth.processDynamicClientRegistrationResponse(res)) as unknown as RegisteredClient;
}

export function basicHeader(id: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}

/** POSTs a form with the given headers; returns status, headers and parsed JSON (or null for an empty body). */
export async function postForm(url: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as Record<string, any>) : null };
}

export async function clientCredentials(
  tp: TokenPlatform,
  client: RegisteredClient,
  params: Record<string, string> = {},
  method: 'basic' | 'post' = 'basic',
) {
  const auth =
    method === 'basic' ? oauth.ClientSecretBasic(client.client_secret) : oauth.ClientSecretPost(client.client_secret);
  const res = await oauth.clientCredentialsGrantRequest(tp.as, { client_id: client.client_id }, auth, params, insecure);
  const raw = res.clone();
  const token = await oauth.processClientCredentialsResponse(tp.as, { client_id: client.client_id }, res);
  return { token, response: raw };
}

/** The client authentication a registered client must use (its token_endpoint_auth_method). */
export function clientAuth(client: RegisteredClient): oauth.ClientAuth {
  return client.token_endpoint_auth_method === 'client_secret_post'
    ? oauth.ClientSecretPost(client.client_secret)
    : oauth.ClientSecretBasic(client.client_secret);
}

export async function introspect(tp: TokenPlatform, caller: RegisteredClient, token: string) {
  const res = await oauth.introspectionRequest(
    tp.as,
    { client_id: caller.client_id },
    clientAuth(caller),
    token,
    insecure,
  );
  const raw = res.clone();
  const body = await oauth.processIntrospectionResponse(tp.as, { client_id: caller.client_id }, res);
  return { body, response: raw };
}

const b64u = (bytes: Uint8Array | Buffer) => Buffer.from(bytes).toString('base64url');

/**
 * Decrypts a stored private signing key with the KEK (AES-256-GCM, AAD = kid), exactly as the Worker does, so a
 * test can sign tokens the server would have signed (for example already expired ones).
 */
export async function decryptStoredKey(tp: TokenPlatform, kid: string): Promise<webcrypto.JsonWebKey> {
  const rows = await tp.sql<{ private_key_ciphertext: string }>(
    'select private_key_ciphertext from signing_keys where kid = $1',
    [kid],
  );
  const [version, iv, ct] = (rows[0]?.private_key_ciphertext ?? '').split('.');
  if (version !== 'v1' || !iv || !ct) throw new Error(`no stored key ${kid}`);
  const key = await webcrypto.subtle.importKey('raw', tp.kek, { name: 'AES-GCM' }, false, ['decrypt']);
  const plain = await webcrypto.subtle.decrypt(
    { name: 'AES-GCM', iv: Buffer.from(iv, 'base64url'), additionalData: new TextEncoder().encode(kid) },
    key,
    Buffer.from(ct, 'base64url'),
  );
  return JSON.parse(new TextDecoder().decode(plain));
}

/** Signs arbitrary header and claims with an ES256 private JWK (no checks: tests forge on purpose). */
export async function signEs256(jwk: webcrypto.JsonWebKey, header: object, claims: object): Promise<string> {
  const key = await webcrypto.subtle.importKey('jwk', jwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  const input = `${b64u(Buffer.from(JSON.stringify(header)))}.${b64u(Buffer.from(JSON.stringify(claims)))}`;
  const sig = await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, Buffer.from(input));
  return `${input}.${b64u(new Uint8Array(sig))}`;
}

export function decodeJwt(token: string): { header: Record<string, any>; claims: Record<string, any> } {
  const [h, p] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h ?? '', 'base64url').toString()),
    claims: JSON.parse(Buffer.from(p ?? '', 'base64url').toString()),
  };
}

/** An entry's events, each as one field per property, whichever form it was written in (shared/events/event.ts). */
const flatEvents = (fields: Record<string, string>) => fromStreamEntry(fields).map(toStreamFields);

/** Every event of this run's `security-events` stream, oldest first, as flat string records. */
export async function securityEvents(tp: TokenPlatform): Promise<Record<string, string>[]> {
  const key = `${tp.platform.redisPrefix}security-events`;
  const raw = (await tp.platform.redis.xrange(key, '-', '+')) as unknown;
  const out: Record<string, string>[] = [];
  if (Array.isArray(raw)) {
    // Without automatic deserialization the client returns Redis's shape: [[id, [field, value, ...]], ...].
    for (const [, fields] of raw as [string, string[]][]) {
      const record: Record<string, string> = {};
      for (let i = 0; i < fields.length; i += 2) record[fields[i] as string] = fields[i + 1] as string;
      out.push(...flatEvents(record));
    }
  } else {
    for (const fields of Object.values(raw as Record<string, Record<string, unknown>>)) {
      out.push(
        ...flatEvents(
          Object.fromEntries(
            Object.entries(fields).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
          ),
        ),
      );
    }
  }
  return out;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes (then returns the last value). */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs: number, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value || Date.now() > deadline) return value;
    await sleep(intervalMs);
  }
}

/**
 * Takes this run's database away (or gives it back): it refuses every new connection and its sessions end, so any
 * request that needs Postgres fails. `admin`: a pool on the server's admin database.
 */
export function databaseBlocker(tp: TokenPlatform, admin: Awaited<ReturnType<typeof nodePool>>) {
  const dbName = new URL(tp.platform.databaseUrl).pathname.slice(1);
  if (!/^esp_test_[a-f0-9]+$/.test(dbName)) throw new Error(`unexpected test database name ${dbName}`);
  return async (allow: boolean): Promise<void> => {
    await admin.query(`alter database ${dbName} allow_connections ${allow}`);
    if (!allow) {
      await admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [dbName],
      );
    }
  };
}
