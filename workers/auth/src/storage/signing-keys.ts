/**
 * Signing keys in Postgres (`signing_keys`, private keys encrypted under the KEK) and the per-isolate key ring.
 *
 * Hot path: the ring (imported CryptoKeys and the JWKS) lives in isolate memory. The isolate re-reads Postgres
 * only when (a) Redis `keys:version` changed (checked in the background at most every SIGNING_KEY_CHECK_MS),
 * (b) its current key is past its planned end (a rotation should have happened; throttled the same way),
 * (c) a token to verify names a kid it does not know and `keys:version` moved, or (d) it holds no usable key.
 * Token issuance never waits on Redis or Postgres once the ring is loaded.
 *
 * Changes (maintenance, rotation, first key) run in one transaction under a Postgres advisory lock, so concurrent
 * isolates and cron runs serialize and the first key is created exactly once; then `keys:version` is INCRed.
 */
import { inArray, sql } from 'drizzle-orm';
import { signingKeys } from '../../../../shared/db/schema.js';
import type { CommonConfig } from '../../../../shared/env.js';
import { dependencyUnavailable } from '../../../../shared/errors.js';
import { redisKey } from '../../../../shared/redis.js';
import type { AuthSettings } from '../config.js';
import {
  decodeProtectedHeader,
  type SigningAlg,
  type SigningKey,
  type VerificationKey,
} from '../domain/access-token.js';
import {
  currentSigner,
  decryptPrivateKey,
  encryptPrivateKey,
  generateSigningKey,
  importSigningKey,
  importVerificationKey,
  isPublished,
  type KeyRecord,
  type KeyStatus,
  planIsEmpty,
  planRotation,
  type RotationOptions,
  type RotationPlan,
} from '../domain/signing-keys.js';
import { logError, tryRedis, withPostgres } from './dependencies.js';

type KeyConfig = CommonConfig & AuthSettings;

/** Margin added to the retention of a retired key: clock skew plus isolates that still sign with it briefly. */
const RETENTION_MARGIN_MS = 60_000;
/** Advisory lock id for key maintenance (any constant; namespaced by the database). */
const KEYS_LOCK_ID = 7_300_001;

interface RingKey extends KeyRecord {
  publicJwk: Record<string, unknown>;
  publicKey: CryptoKey;
  /** Present for keys that may sign (pending and active) when the KEK could decrypt them. */
  privateKey?: CryptoKey;
}

interface KeyRing {
  keys: RingKey[];
  byKid: Map<string, RingKey>;
  /** Redis `keys:version` read just before the load (null when absent or Redis was unreachable). */
  version: string | null;
  loadedAt: number;
}

let ring: KeyRing | undefined;
let nextVersionCheckAt = 0;
let lastLoadAt = 0;

export function retentionMs(config: KeyConfig): number {
  return config.ACCESS_TOKEN_MAX_TTL_SECONDS * 1000 + config.SIGNING_KEY_CHECK_MS + RETENTION_MARGIN_MS;
}

const keysVersionKey = (config: CommonConfig) => redisKey(config, 'keys', 'version');

async function readKeysVersion(config: CommonConfig): Promise<string | null | undefined> {
  return tryRedis(config, 'keys version read', (redis) => redis.get<string>(keysVersionKey(config)), undefined);
}

function toRecord(row: typeof signingKeys.$inferSelect): KeyRecord {
  return {
    kid: row.kid,
    alg: row.alg as SigningAlg,
    status: row.status as KeyStatus,
    activatesAt: row.activatesAt.getTime(),
    retiredAt: row.retiredAt ? row.retiredAt.getTime() : null,
    expiresAt: row.expiresAt ? row.expiresAt.getTime() : null,
  };
}

async function loadRing(config: KeyConfig, now: number): Promise<KeyRing> {
  const version = (await readKeysVersion(config)) ?? null;
  const rows = await withPostgres(config, 'signing key load', (db) => db.select().from(signingKeys));
  const keys: RingKey[] = [];
  for (const row of rows) {
    const record = toRecord(row);
    if (!isPublished(record, now)) continue;
    try {
      const key: RingKey = {
        ...record,
        publicJwk: row.publicJwk,
        publicKey: await importVerificationKey(row.publicJwk as Record<string, string>, record.alg),
      };
      if (record.status !== 'retired') {
        if (row.kekId !== config.KEK_ID) {
          logError('signing key encrypted under another KEK; it cannot sign here', undefined, { kid: row.kid });
        } else {
          const jwk = await decryptPrivateKey(row.privateKeyCiphertext, config.KEY_ENCRYPTION_KEY, row.kid);
          key.privateKey = await importSigningKey(jwk, record.alg);
        }
      }
      keys.push(key);
    } catch (err) {
      logError('signing key unusable', err, { kid: row.kid });
    }
  }
  keys.sort((a, b) => a.activatesAt - b.activatesAt);
  lastLoadAt = now;
  return { keys, byKid: new Map(keys.map((k) => [k.kid, k])), version, loadedAt: now };
}

/** Applies a rotation plan inside one transaction under the advisory lock. Returns what changed. */
async function applyMaintenance(
  config: KeyConfig,
  now: number,
  options: RotationOptions,
): Promise<{ plan: RotationPlan; created?: string }> {
  const settings = {
    rotationIntervalMs: config.KEY_ROTATION_INTERVAL_SECONDS * 1000,
    publishLeadMs: config.KEY_PUBLISH_LEAD_SECONDS * 1000,
    retentionMs: retentionMs(config),
  };
  const result = await withPostgres(config, 'signing key maintenance', (db) =>
    db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${KEYS_LOCK_ID})`);
      // Plan at the time the lock was obtained: whoever held it may have created a key a moment ago.
      const at = Math.max(now, Date.now());
      const rows = await tx.select().from(signingKeys);
      const plan = planRotation(rows.map(toRecord), at, settings, options);
      let created: string | undefined;
      if (plan.create) {
        const generated = await generateSigningKey(config.SIGNING_ALG);
        await tx.insert(signingKeys).values({
          kid: generated.kid,
          alg: generated.alg,
          publicJwk: generated.publicJwk,
          privateKeyCiphertext: await encryptPrivateKey(generated.privateJwk, config.KEY_ENCRYPTION_KEY, generated.kid),
          kekId: config.KEK_ID,
          status: plan.create.status,
          publishedAt: new Date(at),
          activatesAt: new Date(plan.create.activatesAt),
        });
        created = generated.kid;
      }
      for (const u of plan.update) {
        await tx
          .update(signingKeys)
          .set({
            status: u.status,
            ...(u.retiredAt !== undefined ? { retiredAt: new Date(u.retiredAt) } : {}),
            ...(u.expiresAt !== undefined ? { expiresAt: new Date(u.expiresAt) } : {}),
          })
          .where(sql`${signingKeys.kid} = ${u.kid}`);
      }
      if (plan.delete.length > 0) await tx.delete(signingKeys).where(inArray(signingKeys.kid, plan.delete));
      return { plan, created };
    }),
  );
  if (!planIsEmpty(result.plan)) {
    await tryRedis(config, 'keys version bump', (redis) => redis.incr(keysVersionKey(config)), undefined);
  }
  return result;
}

export interface MaintenanceResult {
  changed: boolean;
  created?: string;
  retired: string[];
  deleted: string[];
  keys: Array<{ kid: string; alg: string; status: KeyStatus; activates_at: string; expires_at: string | null }>;
}

/**
 * `rotateSigningKeys(now)`: scheduled maintenance when called without options (publishes the next key
 * KEY_PUBLISH_LEAD_SECONDS before the current one's planned end, retires and deletes old ones; idempotent), or an
 * on-demand rotation with `{force: true}` (or an emergency one with `{immediate: true}`).
 */
export async function rotateSigningKeys(
  config: KeyConfig,
  now = Date.now(),
  options: RotationOptions = {},
): Promise<MaintenanceResult> {
  const { plan, created } = await applyMaintenance(config, now, options);
  ring = await loadRing(config, now);
  return {
    changed: !planIsEmpty(plan),
    created,
    retired: plan.update.filter((u) => u.status === 'retired').map((u) => u.kid),
    deleted: plan.delete,
    keys: ring.keys.map((k) => ({
      kid: k.kid,
      alg: k.alg,
      status: k.status,
      activates_at: new Date(k.activatesAt).toISOString(),
      expires_at: k.expiresAt === null ? null : new Date(k.expiresAt).toISOString(),
    })),
  };
}

function signerOf(current: KeyRing, now: number): (RingKey & { privateKey: CryptoKey }) | undefined {
  const signer = currentSigner(
    current.keys.filter((k) => k.privateKey),
    now,
  );
  return signer as (RingKey & { privateKey: CryptoKey }) | undefined;
}

/** True when the current key is past its planned end and no successor is known: a rotation was missed. */
function overdue(current: KeyRing, config: KeyConfig, now: number): boolean {
  const signer = signerOf(current, now);
  if (!signer) return true;
  const hasSuccessor = current.keys.some((k) => k.status !== 'retired' && k.activatesAt > now);
  return !hasSuccessor && signer.activatesAt + config.KEY_ROTATION_INTERVAL_SECONDS * 1000 <= now;
}

/**
 * Background freshness check: reloads the ring when `keys:version` moved or the current key is overdue. If it is
 * still overdue after the reload, the scheduler is not running, so this isolate runs the (idempotent, locked)
 * maintenance itself rather than signing with an old key indefinitely.
 */
async function refreshIfChanged(config: KeyConfig, now: number): Promise<void> {
  try {
    const version = await readKeysVersion(config);
    if (!ring) return;
    if ((version !== undefined && version !== ring.version) || overdue(ring, config, now)) {
      ring = await loadRing(config, now);
    }
    if (overdue(ring, config, now)) {
      logError('signing key rotation is overdue; running maintenance from the request path', undefined);
      await applyMaintenance(config, now, {});
      ring = await loadRing(config, now);
    }
  } catch (err) {
    logError('background key refresh failed', err);
  }
}

/**
 * The key to sign with now. Schedules the background freshness check; only a cold isolate (or one holding no
 * usable key) waits for Postgres, and creates the first key when none exists.
 *
 * The time is re-read after every wait: a key another request created while this one waited for the lock is
 * active from *its* creation time, which is later than this request's start.
 */
export async function getSigningKey(config: KeyConfig, waitUntil: (p: Promise<unknown>) => void): Promise<SigningKey> {
  const now = Date.now();
  let signer = ring ? signerOf(ring, now) : undefined;
  if (!signer) {
    ring = await loadRing(config, Date.now());
    signer = signerOf(ring, Date.now());
    if (!signer) {
      await applyMaintenance(config, Date.now(), {});
      ring = await loadRing(config, Date.now());
      signer = signerOf(ring, Date.now());
    }
    if (!signer) throw dependencyUnavailable('no usable signing key (is KEY_ENCRYPTION_KEY/KEK_ID right?)');
    nextVersionCheckAt = Date.now() + config.SIGNING_KEY_CHECK_MS;
  } else if (now >= nextVersionCheckAt) {
    nextVersionCheckAt = now + config.SIGNING_KEY_CHECK_MS;
    waitUntil(refreshIfChanged(config, now));
  }
  return { kid: signer.kid, alg: signer.alg, privateKey: signer.privateKey };
}

function verificationKey(current: KeyRing | undefined, kid: string, now: number): VerificationKey | undefined {
  const key = current?.byKid.get(kid);
  if (!key || !isPublished(key, now)) return undefined;
  return { kid: key.kid, alg: key.alg, publicKey: key.publicKey };
}

/**
 * Resolves verification keys for introspection/revocation. A kid unknown to this isolate triggers one Redis
 * version check (throttled by SIGNING_KEY_CHECK_MS) and a reload only when the key set really changed, so
 * tokens with made-up kids cannot drive Postgres queries.
 */
export async function verificationKeyResolver(
  config: KeyConfig,
  token: string,
  now = Date.now(),
): Promise<(kid: string) => VerificationKey | undefined> {
  if (!ring) ring = await loadRing(config, now);
  let kid: string | undefined;
  try {
    const head = decodeProtectedHeader(token);
    kid = typeof head.kid === 'string' ? head.kid : undefined;
  } catch {
    kid = undefined;
  }
  if (kid !== undefined && !ring.byKid.has(kid) && now - lastLoadAt >= config.SIGNING_KEY_CHECK_MS) {
    lastLoadAt = now;
    const version = await readKeysVersion(config);
    if (version !== undefined && version !== ring.version) ring = await loadRing(config, now);
  }
  const current = ring;
  return (k) => verificationKey(current, k, now);
}

/** The JWKS document: pending, active, and retired-but-unexpired keys. */
export async function publishedJwks(config: KeyConfig, now = Date.now()): Promise<{ keys: Record<string, unknown>[] }> {
  if (!ring || now >= nextVersionCheckAt) {
    nextVersionCheckAt = now + config.SIGNING_KEY_CHECK_MS;
    if (!ring) ring = await loadRing(config, now);
    else await refreshIfChanged(config, now);
  }
  if (!ring.keys.some((k) => k.status !== 'retired')) {
    // First use: make sure a key exists before the first relying party caches an empty JWKS.
    await applyMaintenance(config, now, {});
    ring = await loadRing(config, now);
  }
  return { keys: ring.keys.filter((k) => isPublished(k, now)).map((k) => k.publicJwk) };
}

/** Drops the isolate's ring (tests and the admin endpoints use it after a change). */
export function forgetKeyRing(): void {
  ring = undefined;
}
