/**
 * The account as token issuance needs it (its OpenID claims, while it is active), read through two caches so that
 * redeeming an authorization code queries no Postgres in steady state:
 *
 *   isolate Map (bounded)  →  Redis `account:<id>` (sealed entry)  →  Postgres
 *
 * Invalidation is explicit and seen at once: every change to an account (disabled, enabled, a new password) SETs
 * `account-version:<id>` to a fresh random value after the change commits. Every read fetches that key with the
 * entry (one MGET, the only I/O in steady state) and trusts an entry only when it was taken under the same version,
 * so a disabled account's code is refused by the next redemption in every isolate and replica.
 *
 * Races: a reader fixes the version before it reads Postgres (creating it with NX when absent), so a change that
 * commits meanwhile moves the version past what the reader caches. Redis is not trusted: entries are sealed
 * (clients/domain/cache-seal.ts, context ACCOUNT_CACHE_CONTEXT, bound to the account id) and one that does not
 * verify is read again from Postgres. Without Redis, reads go to Postgres (fresh, never cached). Both keys expire
 * (REDIS_TTL_SECONDS): a version that expired is recreated, never reused, so no old entry can match it.
 */
import { setBounded } from '../../../../../shared/bounded-map.js';
import { randomToken } from '../../../../../shared/crypto.js';
import { type Dependencies, logError, tryRedis } from '../../../../../shared/dependencies.js';
import { dependencyUnavailable } from '../../../../../shared/errors.js';
import type { ValueSeal } from '../../clients/domain/cache-seal.js';
import type { UserRecord } from '../domain/user-store.js';

export const ACCOUNT_CACHE_CONTEXT = 'account-cache v1';
const REDIS_TTL_SECONDS = 3600;
const ISOLATE_CACHE_MAX = 10_000;

/** What the cache holds of an active account: all but its password hash (which never leaves Postgres). */
export type ActiveAccount = Omit<UserRecord, 'passwordHash'>;

interface Entry {
  /** Null when the account is disabled or unknown. */
  user: ActiveAccount | null;
  version: string;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

export class AccountCache {
  private readonly cache = new Map<string, Entry>();

  constructor(
    private readonly deps: Dependencies,
    /** Reads the account from Postgres: null when disabled or unknown. */
    private readonly load: (id: string) => Promise<ActiveAccount | null>,
    private readonly seal: ValueSeal,
  ) {}

  private versionKey(id: string): string {
    return this.deps.redis.key('account-version', id);
  }

  private entryKey(id: string): string {
    return this.deps.redis.key('account', id);
  }

  /** The account while it is active, null when it is disabled or unknown. */
  async activeUser(id: string): Promise<ActiveAccount | null> {
    const cached = await tryRedis(
      this.deps,
      'account cache read',
      (redis) => redis.mget<(string | null)[]>(this.versionKey(id), this.entryKey(id)),
      undefined,
    );
    if (cached === undefined) return this.load(id);
    let version = cached[0] ?? null;
    const held = this.cache.get(id);
    if (version !== null && held?.version === version) return held.user;
    if (version !== null && cached[1]) {
      const entry = await this.opened(id, cached[1]);
      if (entry?.version === version) {
        setBounded(this.cache, id, entry, ISOLATE_CACHE_MAX);
        return entry.user;
      }
    }
    if (version === null) {
      const fresh = randomToken(12);
      const set = await tryRedis(
        this.deps,
        'account cache version',
        (redis) => redis.set(this.versionKey(id), fresh, { ex: REDIS_TTL_SECONDS, nx: true }),
        null,
      );
      // Another reader or a writer set it first: read fresh from Postgres, cache nothing this time.
      if (set !== 'OK') return this.load(id);
      version = fresh;
    }
    const user = await this.load(id);
    const sealed = await this.seal.seal(id, JSON.stringify({ version, user }), nowSeconds() + REDIS_TTL_SECONDS);
    await tryRedis(
      this.deps,
      'account cache fill',
      (redis) => redis.set(this.entryKey(id), sealed, { ex: REDIS_TTL_SECONDS }),
      undefined,
    );
    setBounded(this.cache, id, { user, version }, ISOLATE_CACHE_MAX);
    return user;
  }

  private async opened(id: string, value: string): Promise<Entry | undefined> {
    const opened = await this.seal.open(id, value, nowSeconds());
    if (opened.kind === 'body') {
      try {
        const entry = JSON.parse(opened.body) as Entry;
        if (typeof entry.version === 'string' && typeof entry.user === 'object') return entry;
      } catch {
        // sealed by us, so not expected; read from Postgres below
      }
    }
    if (opened.kind !== 'expired') {
      logError(this.deps.service, 'account cache entry failed its integrity check', undefined, {
        reason: opened.kind === 'tampered' ? opened.reason : 'content',
      });
    }
    return undefined;
  }

  /**
   * After a committed change to the account: every isolate reads it again at its next use. A failure is reported
   * (503: retry), since until the version moves other isolates may still issue tokens for the old account.
   */
  async invalidate(id: string): Promise<void> {
    this.cache.delete(id);
    const ok = await tryRedis(
      this.deps,
      'account cache invalidation',
      async (redis) => {
        await redis.set(this.versionKey(id), randomToken(12), { ex: REDIS_TTL_SECONDS });
        return true;
      },
      false,
    );
    if (!ok) throw dependencyUnavailable('the change was saved but caches could not be invalidated; retry the request');
  }
}
