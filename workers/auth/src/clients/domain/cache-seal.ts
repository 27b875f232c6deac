/**
 * Integrity of the client records cached in Redis (pure: WebCrypto only).
 *
 * Redis is a cache, not an authority: whoever can write it (a compromised bridge, a stolen Redis credential) must
 * not be able to mint a client or replace a client's secret or scope by writing `client:<id>`. So every cached
 * value is sealed with HMAC-SHA-256 under CLIENT_CACHE_MAC_KEY, a secret only the auth Worker holds (neither Redis
 * nor the bridges ever see it), and a value that does not verify is ignored: the client is read from Postgres.
 *
 *   v1.<expires at, epoch s>.<base64url MAC>.<body>
 *   MAC = HMAC(key, "client-cache v1" 0x00 client_id 0x00 expires-at 0x00 body)
 *
 * `body` is the record's JSON exactly as written (its `version` included) or MISSING_BODY for an id Postgres does
 * not know, so a forged "missing" cannot lock a client out either. Binding the client id stops a record being moved
 * to another id; the expiry bounds how long a copy an attacker saved earlier (say, before the client was deleted or
 * narrowed) can be replayed: at most the cache lifetime of the original write.
 *
 * Cost: a record is verified once when an isolate takes it from Redis (a few µs, against the Postgres query it
 * replaces); the isolate then trusts the record object while it holds it and re-checks only the version string,
 * so the token hot path computes no MAC.
 */
import { base64url, base64urlDecode } from '../../../../../shared/crypto.js';
import type { CacheSeal, ClientRecord, OpenedEntry } from './client-store.js';

const FORMAT = 'v1';
const CONTEXT = 'client-cache v1';
export const MISSING_BODY = 'missing';

const encoder = new TextEncoder();

export function importCacheMacKey(raw: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', raw as BufferSource, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ]);
}

function macInput(context: string, id: string, expiresAt: number, body: string): Uint8Array {
  return encoder.encode(`${context}\0${id}\0${expiresAt}\0${body}`);
}

async function seal(key: CryptoKey, context: string, id: string, expiresAt: number, body: string): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', key, macInput(context, id, expiresAt, body) as BufferSource);
  return `${FORMAT}.${expiresAt}.${base64url(new Uint8Array(mac))}.${body}`;
}

/** The cached form of a client record, valid until `expiresAt` (epoch seconds). */
export function sealRecord(key: CryptoKey, record: ClientRecord, expiresAt: number): Promise<string> {
  return seal(key, CONTEXT, record.clientId, expiresAt, JSON.stringify(record));
}

/** The cached form of "no such client". */
export function sealMissing(key: CryptoKey, clientId: string, expiresAt: number): Promise<string> {
  return seal(key, CONTEXT, clientId, expiresAt, MISSING_BODY);
}

type OpenedBody = { kind: 'body'; body: string } | Exclude<OpenedEntry, { kind: 'record' } | { kind: 'missing' }>;

/** Verifies a sealed value of `context` for `id` at `now` (epoch seconds) and gives its body. */
async function openSealed(
  key: CryptoKey,
  context: string,
  id: string,
  value: string,
  now: number,
): Promise<OpenedBody> {
  const first = value.indexOf('.');
  const second = value.indexOf('.', first + 1);
  const third = value.indexOf('.', second + 1);
  if (first === -1 || second === -1 || third === -1 || value.slice(0, first) !== FORMAT) {
    return { kind: 'tampered', reason: 'format' };
  }
  const expiresText = value.slice(first + 1, second);
  const body = value.slice(third + 1);
  let mac: Uint8Array;
  try {
    mac = base64urlDecode(value.slice(second + 1, third));
  } catch {
    return { kind: 'tampered', reason: 'format' };
  }
  if (!/^\d{1,12}$/.test(expiresText) || mac.byteLength !== 32) return { kind: 'tampered', reason: 'format' };
  const expiresAt = Number(expiresText);
  // WebCrypto's HMAC verify compares in constant time.
  const valid = await crypto.subtle.verify(
    'HMAC',
    key,
    mac as BufferSource,
    macInput(context, id, expiresAt, body) as BufferSource,
  );
  if (!valid) return { kind: 'tampered', reason: 'mac' };
  if (expiresAt <= now) return { kind: 'expired' };
  return { kind: 'body', body };
}

function isRecordFor(value: unknown, clientId: string): value is ClientRecord {
  if (value === null || typeof value !== 'object') return false;
  const r = value as Record<string, unknown>;
  return (
    r.clientId === clientId &&
    (r.status === 'active' || r.status === 'deleted') &&
    typeof r.version === 'number' &&
    typeof r.metadata === 'object' &&
    r.metadata !== null
  );
}

/** Verifies and reads a cached value for `clientId` at `now` (epoch seconds). */
export async function openCachedEntry(
  key: CryptoKey,
  clientId: string,
  value: string,
  now: number,
): Promise<OpenedEntry> {
  const opened = await openSealed(key, CONTEXT, clientId, value, now);
  if (opened.kind !== 'body') return opened;
  const body = opened.body;
  if (body === MISSING_BODY) return { kind: 'missing' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { kind: 'tampered', reason: 'content' };
  }
  // Sealed by us, so this holds unless the key leaked; checked anyway, since a wrong shape would be a 500 later.
  return isRecordFor(parsed, clientId) ? { kind: 'record', record: parsed } : { kind: 'tampered', reason: 'content' };
}

/** Sealed strings of one kind of cached entry (its `context`), each bound to an id (accounts/storage/account-cache.ts). */
export interface ValueSeal {
  seal(id: string, body: string, expiresAt: number): Promise<string>;
  open(id: string, value: string, now: number): Promise<OpenedBody>;
}

/** Imports the key on first use and keeps the CryptoKey (see createCacheSeal). */
function lazyKey(keyBytes: Uint8Array): () => Promise<CryptoKey> {
  let key: CryptoKey | undefined;
  return async () => {
    if (!key) key = await importCacheMacKey(keyBytes);
    return key;
  };
}

/** A seal for another cache than the clients', under the same key: `context` keeps one kind from passing as another. */
export function createValueSeal(keyBytes: Uint8Array, context: string): ValueSeal {
  if (context === CONTEXT) throw new Error("the client cache context is the client seal's own");
  const cryptoKey = lazyKey(keyBytes);
  return {
    seal: async (id, body, expiresAt) => seal(await cryptoKey(), context, id, expiresAt, body),
    open: async (id, value, now) => openSealed(await cryptoKey(), context, id, value, now),
  };
}

/**
 * The seal the clients store uses, under one key (CLIENT_CACHE_MAC_KEY). The key is imported on first use and the
 * CryptoKey kept (not the promise: workerd does not let one request wait on another's pending work; concurrent first
 * requests may each import it, which is harmless).
 */
export function createCacheSeal(keyBytes: Uint8Array): CacheSeal {
  const cryptoKey = lazyKey(keyBytes);
  return {
    seal: async (record, expiresAt) => sealRecord(await cryptoKey(), record, expiresAt),
    sealMissing: async (clientId, expiresAt) => sealMissing(await cryptoKey(), clientId, expiresAt),
    open: async (clientId, value, now) => openCachedEntry(await cryptoKey(), clientId, value, now),
  };
}
