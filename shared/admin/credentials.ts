/**
 * Admin credentials: opaque bearer tokens that map to a principal with roles. The policy service decides what
 * that principal may do; this module only answers "who is calling".
 *
 * Credentials live in Postgres (`admin_credentials`, SHA-256 hash only). `ADMIN_BOOTSTRAP_TOKEN`, when set, is
 * one more credential for the principal `bootstrap` with role `superadmin`, so a fresh deployment can create the
 * first real credentials. Lookups are cached in the isolate for a short time; a revoked credential stops working
 * within CACHE_TTL_MS.
 */
import { eq } from 'drizzle-orm';
import { bearerChallenge, bearerToken } from '../bearer.js';
import { hashSecret, timingSafeEqualStrings } from '../crypto.js';
import { adminCredentials } from '../db/schema.js';
import { type Dependencies, withPostgres } from '../dependencies.js';
import { unauthorized } from '../errors.js';
import type { AdminPrincipal } from './entity.js';

const CACHE_TTL_MS = 5_000;
const CACHE_MAX = 10_000;
const BOOTSTRAP: AdminPrincipal = { id: 'bootstrap', roles: ['superadmin'], attributes: {}, credentialId: 'bootstrap' };

export class AdminCredentials {
  private readonly cache = new Map<string, { principal: AdminPrincipal | null; until: number }>();

  constructor(
    private readonly deps: Dependencies,
    private readonly bootstrapToken: string | undefined,
  ) {}

  /** The admin principal of an `Authorization: Bearer` header, or a 401 with the `admin` challenge. */
  async authenticate(authorization: string | undefined | null): Promise<AdminPrincipal> {
    const token = bearerToken(authorization);
    if (!token) throw unauthorized('an admin bearer token is required', bearerChallenge('admin'));
    if (this.bootstrapToken && (await timingSafeEqualStrings(token, this.bootstrapToken))) return BOOTSTRAP;
    // The token has 256 bits of entropy, so a plain SHA-256 is a sufficient (and constant-time-looked-up) key.
    const hash = await hashSecret(token);
    const now = Date.now();
    const hit = this.cache.get(hash);
    let principal: AdminPrincipal | null;
    if (hit && hit.until > now) {
      principal = hit.principal;
    } else {
      principal = await withPostgres(this.deps, 'admin credential lookup', async (db) => {
        const rows = await db.select().from(adminCredentials).where(eq(adminCredentials.tokenHash, hash)).limit(1);
        const row = rows[0];
        if (!row || row.revokedAt) return null;
        return { id: row.principalId, roles: row.roles, attributes: row.attributes, credentialId: row.id };
      });
      if (this.cache.size > CACHE_MAX) this.cache.clear();
      this.cache.set(hash, { principal, until: now + CACHE_TTL_MS });
    }
    if (!principal) throw unauthorized('invalid admin credential', bearerChallenge('admin', 'invalid_token'));
    return principal;
  }
}
