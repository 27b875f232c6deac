/**
 * The isolate's key ring: the published signing keys, imported once (CryptoKeys and the JWKS), in memory.
 *
 * Hot path: token issuance never waits on Redis or Postgres once the ring is loaded. The isolate re-reads the store
 * only when (a) the key set's change counter moved (checked in the background at most every SIGNING_KEY_CHECK_MS),
 * (b) its current key is past its planned end (a rotation should have happened; throttled the same way), (c) a
 * token to verify names a kid it does not know and the counter moved, (d) introspection saw the counter moved (it
 * reads it in the same round trip as the denylist: `reloadIfChanged`), or (e) it holds no usable key.
 *
 * Emergency rotation: the rotating isolate reloads at once; every other isolate's introspection distrusts the
 * revoked keys at its next call ((d): one reload per isolate per change), since the rotation answers only after the
 * revocation lease (tokens/domain/revocation-lease.ts). Signing and the JWKS follow within
 * SIGNING_KEY_CHECK_MS ((a)), so for at most that long another isolate may still sign with the revoked key; those
 * tokens fail introspection everywhere that has reloaded. Relying parties that cached the JWKS keep the revoked key
 * until their cache expires (JWKS_MAX_AGE_SECONDS at most): introspection is the authoritative check meanwhile.
 *
 * One ring per env (the composition root builds it), so two deployments tested in one isolate never share keys.
 */
import type { WaitUntil } from '../../../../shared/events/sink.js';
import { logError } from '../../../../shared/dependencies.js';
import { dependencyUnavailable } from '../../../../shared/errors.js';
import type { AuthConfig } from '../env.js';
import { decodeProtectedHeader, type SigningKey, type VerificationKey } from '../tokens/domain/access-token.js';
import type { RevocationLease } from '../tokens/domain/revocation-lease.js';
import { kekNamed } from './domain/key-encryption-keys.js';
import type { KeyChanges, NewStoredKey, SigningKeyStore } from './domain/key-store.js';
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
} from './domain/signing-keys.js';

type KeyConfig = Pick<
  AuthConfig,
  | 'ACCESS_TOKEN_MAX_TTL_SECONDS'
  | 'SIGNING_KEY_CHECK_MS'
  | 'KEY_ROTATION_INTERVAL_SECONDS'
  | 'KEY_PUBLISH_LEAD_SECONDS'
  | 'KEY_ENCRYPTION_KEY'
  | 'KEK_ID'
  | 'KEY_ENCRYPTION_KEYS_RETIRED'
  | 'SIGNING_ALG'
>;

/** Margin added to the retention of a retired key: clock skew plus isolates that still sign with it briefly. */
const RETENTION_MARGIN_MS = 60_000;

interface RingKey extends KeyRecord {
  publicJwk: Record<string, unknown>;
  publicKey: CryptoKey;
  /** Present for keys that may sign (pending and active) when the KEK could decrypt them. */
  privateKey?: CryptoKey;
}

interface Ring {
  keys: RingKey[];
  byKid: Map<string, RingKey>;
  /** The change counter read just before the load (null when absent or unreadable). */
  version: string | null;
}

export interface MaintenanceResult {
  changed: boolean;
  created?: string;
  retired: string[];
  /** Keys an emergency rotation distrusted (unpublished and rejected at once). */
  revoked: string[];
  deleted: string[];
  keys: Array<{ kid: string; alg: string; status: KeyStatus; activates_at: string; expires_at: string | null }>;
}

export function retentionMs(config: Pick<KeyConfig, 'ACCESS_TOKEN_MAX_TTL_SECONDS' | 'SIGNING_KEY_CHECK_MS'>): number {
  return config.ACCESS_TOKEN_MAX_TTL_SECONDS * 1000 + config.SIGNING_KEY_CHECK_MS + RETENTION_MARGIN_MS;
}

const log = (msg: string, err?: unknown, extra?: Record<string, unknown>) => logError('auth', msg, err, extra);

export class KeyRing {
  private ring: Ring | undefined;
  private nextVersionCheckAt = 0;
  private lastLoadAt = 0;

  /** `lease`: the revocation lease an emergency rotation waits out before it answers (tokens/revocation-state.ts). */
  constructor(
    private readonly store: SigningKeyStore,
    private readonly config: KeyConfig,
    private readonly lease: RevocationLease,
  ) {}

  private async load(now: number): Promise<Ring> {
    const version = (await this.store.version()) ?? null;
    const stored = await this.store.list();
    const keys: RingKey[] = [];
    for (const row of stored) {
      if (!isPublished(row, now)) continue;
      try {
        const { publicJwk, privateKeyCiphertext, kekId, ...record } = row;
        const key: RingKey = {
          ...record,
          publicJwk,
          publicKey: await importVerificationKey(publicJwk as Record<string, string>, record.alg),
        };
        if ((record.status === 'pending' || record.status === 'active') && privateKeyCiphertext !== null) {
          const kek = kekNamed(this.config, kekId);
          if (!kek) {
            log('signing key encrypted under a KEK this Worker does not hold; it cannot sign here', undefined, {
              kid: row.kid,
              kek_id: kekId,
            });
          } else {
            const jwk = await decryptPrivateKey(privateKeyCiphertext, kek, row.kid);
            key.privateKey = await importSigningKey(jwk, record.alg);
          }
        }
        keys.push(key);
      } catch (err) {
        log('signing key unusable', err, { kid: row.kid });
      }
    }
    keys.sort((a, b) => a.activatesAt - b.activatesAt);
    this.lastLoadAt = now;
    return { keys, byKid: new Map(keys.map((k) => [k.kid, k])), version };
  }

  /** Plans and applies maintenance (or an on-demand rotation) under the store's lock. */
  private maintain(now: number, options: RotationOptions): Promise<{ plan: RotationPlan; created?: string }> {
    const settings = {
      rotationIntervalMs: this.config.KEY_ROTATION_INTERVAL_SECONDS * 1000,
      publishLeadMs: this.config.KEY_PUBLISH_LEAD_SECONDS * 1000,
      retentionMs: retentionMs(this.config),
    };
    return this.store.maintain(now, async (keys, at) => {
      const plan = planRotation(keys, at, settings, options);
      let create: NewStoredKey | undefined;
      if (plan.create) {
        const generated = await generateSigningKey(this.config.SIGNING_ALG);
        create = {
          kid: generated.kid,
          alg: generated.alg,
          publicJwk: generated.publicJwk,
          privateKeyCiphertext: await encryptPrivateKey(
            generated.privateJwk,
            this.config.KEY_ENCRYPTION_KEY,
            generated.kid,
          ),
          kekId: this.config.KEK_ID,
          status: plan.create.status,
          publishedAt: at,
          activatesAt: plan.create.activatesAt,
        };
      }
      const changes: KeyChanges = { create, update: plan.update, delete: plan.delete };
      return { changes, result: { plan, created: create?.kid } };
    });
  }

  /**
   * `rotate(now)`: scheduled maintenance when called without options (publishes the next key
   * KEY_PUBLISH_LEAD_SECONDS before the current one's planned end, retires and deletes old ones; idempotent), or
   * an on-demand rotation with `{force: true}` (or an emergency one with `{immediate: true}`).
   */
  async rotate(now = Date.now(), options: RotationOptions = {}): Promise<MaintenanceResult> {
    const { plan, created } = await this.maintain(now, options);
    const ring = await this.load(now);
    this.ring = ring;
    // A key revoked is a revocation too: introspection everywhere distrusts it once this answers (the lease).
    if (plan.update.some((u) => u.status === 'revoked')) await this.lease.acknowledge();
    return {
      changed: !planIsEmpty(plan),
      created,
      retired: plan.update.filter((u) => u.status === 'retired').map((u) => u.kid),
      revoked: plan.update.filter((u) => u.status === 'revoked').map((u) => u.kid),
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

  /**
   * Every stored key with its status, for the admin API (from the store: revoked and not yet published keys too).
   * `signing` marks the key that signs now in this isolate's view.
   */
  async inventory(now = Date.now()) {
    const stored = await this.store.list();
    const ring = this.ring;
    const signer = ring ? this.signerOf(ring, now) : undefined;
    return stored
      .sort((a, b) => b.activatesAt - a.activatesAt)
      .map((k) => ({
        kid: k.kid,
        alg: k.alg,
        status: k.status,
        signing: signer?.kid === k.kid,
        activates_at: new Date(k.activatesAt).toISOString(),
        retired_at: k.retiredAt === null ? null : new Date(k.retiredAt).toISOString(),
        expires_at: k.expiresAt === null ? null : new Date(k.expiresAt).toISOString(),
      }));
  }

  private signerOf(ring: Ring, now: number): (RingKey & { privateKey: CryptoKey }) | undefined {
    const signer = currentSigner(
      ring.keys.filter((k) => k.privateKey),
      now,
    );
    return signer as (RingKey & { privateKey: CryptoKey }) | undefined;
  }

  /** True when the current key is past its planned end and no successor is known: a rotation was missed. */
  private overdue(ring: Ring, now: number): boolean {
    const signer = this.signerOf(ring, now);
    if (!signer) return true;
    const hasSuccessor = ring.keys.some(
      (k) => (k.status === 'pending' || k.status === 'active') && k.activatesAt > now,
    );
    return !hasSuccessor && signer.activatesAt + this.config.KEY_ROTATION_INTERVAL_SECONDS * 1000 <= now;
  }

  /**
   * Background freshness check: reloads the ring when the change counter moved or the current key is overdue. If
   * it is still overdue after the reload, the scheduler is not running, so this isolate runs the (idempotent,
   * locked) maintenance itself rather than signing with an old key indefinitely.
   */
  private async refreshIfChanged(now: number): Promise<void> {
    try {
      const version = await this.store.version();
      if (!this.ring) return;
      if ((version !== undefined && version !== this.ring.version) || this.overdue(this.ring, now)) {
        this.ring = await this.load(now);
      }
      if (this.overdue(this.ring, now)) {
        log('signing key rotation is overdue; running maintenance from the request path');
        await this.maintain(now, {});
        this.ring = await this.load(now);
      }
    } catch (err) {
      log('background key refresh failed', err);
    }
  }

  /**
   * On a cold isolate, starts loading the ring so that a request can overlap that load (Redis, then Postgres) with
   * its other cold round trips; `signingKey` and `verificationKeys` then find the ring held. Undefined when the ring
   * is held already. Never runs maintenance, so it creates no key. It rejects as a load does (the database is
   * unavailable): the caller awaits it where it would have loaded anyway, so a cold request makes one attempt, not
   * two, and a request that ends before awaiting it leaves no unhandled rejection. The load belongs to the calling
   * request: workerd does not let one request wait on another's I/O, so concurrent cold requests each load (as
   * without it).
   */
  preload(): Promise<void> | undefined {
    if (this.ring) return undefined;
    const loading = this.load(Date.now()).then((ring) => {
      if (this.ring) return;
      this.ring = ring;
      this.nextVersionCheckAt = Date.now() + this.config.SIGNING_KEY_CHECK_MS;
    });
    loading.catch(() => {});
    return loading;
  }

  /**
   * The key to sign with now. Schedules the background freshness check; only a cold isolate (or one holding no
   * usable key) waits for the store, and creates the first key when none exists.
   *
   * The time is re-read after every wait: a key another request created while this one waited for the lock is
   * active from *its* creation time, which is later than this request's start.
   */
  async signingKey(ctx: WaitUntil): Promise<SigningKey> {
    const now = Date.now();
    let signer = this.ring ? this.signerOf(this.ring, now) : undefined;
    if (!signer) {
      this.ring = await this.load(Date.now());
      signer = this.signerOf(this.ring, Date.now());
      if (!signer) {
        await this.maintain(Date.now(), {});
        this.ring = await this.load(Date.now());
        signer = this.signerOf(this.ring, Date.now());
      }
      if (!signer) throw dependencyUnavailable('no usable signing key (is KEY_ENCRYPTION_KEY/KEK_ID right?)');
      this.nextVersionCheckAt = Date.now() + this.config.SIGNING_KEY_CHECK_MS;
    } else if (now >= this.nextVersionCheckAt) {
      this.nextVersionCheckAt = now + this.config.SIGNING_KEY_CHECK_MS;
      ctx.waitUntil(this.refreshIfChanged(now));
    }
    return { kid: signer.kid, alg: signer.alg, privateKey: signer.privateKey };
  }

  /**
   * Resolves verification keys for introspection/revocation. A kid unknown to this isolate triggers one change
   * counter read (throttled by SIGNING_KEY_CHECK_MS) and a reload only when the key set really changed, so tokens
   * with made-up kids cannot drive Postgres queries.
   */
  async verificationKeys(token: string, now = Date.now()): Promise<(kid: string) => VerificationKey | undefined> {
    if (!this.ring) this.ring = await this.load(now);
    let kid: string | undefined;
    try {
      const head = decodeProtectedHeader(token);
      kid = typeof head.kid === 'string' ? head.kid : undefined;
    } catch {
      kid = undefined;
    }
    if (kid !== undefined && !this.ring.byKid.has(kid) && now - this.lastLoadAt >= this.config.SIGNING_KEY_CHECK_MS) {
      this.lastLoadAt = now;
      const version = await this.store.version();
      if (version !== undefined && version !== this.ring.version) this.ring = await this.load(now);
    }
    const ring = this.ring;
    return (k) => {
      const key = ring.byKid.get(k);
      if (!key || !isPublished(key, now)) return undefined;
      return { kid: key.kid, alg: key.alg, publicKey: key.publicKey };
    };
  }

  /** Whether this isolate holds a key it can sign with now (so it can issue tokens without Postgres). */
  canSign(now = Date.now()): boolean {
    return this.ring !== undefined && this.signerOf(this.ring, now) !== undefined;
  }

  /**
   * Reloads the ring when `version` (the change counter as introspection just read it from Redis) differs from the
   * one the ring was loaded at. Returns true when it reloaded: the caller then verifies again with the new ring. An
   * unread counter (undefined, Redis down) reloads only as often as SIGNING_KEY_CHECK_MS allows, so an outage of
   * Redis cannot keep an emergency rotation from being seen, nor turn every introspection into a Postgres load.
   */
  async reloadIfChanged(version: string | null | undefined, now = Date.now()): Promise<boolean> {
    if (!this.ring) return false;
    if (version === undefined) {
      if (now - this.lastLoadAt < this.config.SIGNING_KEY_CHECK_MS) return false;
    } else if (version === this.ring.version) {
      return false;
    }
    this.ring = await this.load(now);
    return true;
  }

  /** The JWKS document: pending, active, and retired-but-unexpired keys (never revoked ones). */
  async jwks(now = Date.now()): Promise<{ keys: Record<string, unknown>[] }> {
    if (!this.ring || now >= this.nextVersionCheckAt) {
      this.nextVersionCheckAt = now + this.config.SIGNING_KEY_CHECK_MS;
      if (!this.ring) this.ring = await this.load(now);
      else await this.refreshIfChanged(now);
    }
    let ring = this.ring as Ring;
    if (!ring.keys.some((k) => k.status === 'pending' || k.status === 'active')) {
      // First use: make sure a key exists before the first relying party caches an empty JWKS.
      await this.maintain(now, {});
      ring = await this.load(now);
      this.ring = ring;
    }
    return { keys: ring.keys.filter((k) => isPublished(k, now)).map((k) => k.publicJwk) };
  }
}
