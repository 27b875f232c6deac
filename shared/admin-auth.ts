/**
 * Admin credentials: opaque bearer tokens that map to a principal with roles. The policy service decides what
 * that principal may do; this module only answers "who is calling".
 *
 * Credentials live in Postgres (`admin_credentials`, SHA-256 hash only). `ADMIN_BOOTSTRAP_TOKEN`, when set, is
 * one more credential for the principal `bootstrap` with role `superadmin`, so a fresh deployment can create the
 * first real credentials. Lookups are cached in the isolate for a short time; a revoked credential stops working
 * within ADMIN_CACHE_TTL_MS.
 */
import { eq } from 'drizzle-orm';
import { hashSecret, timingSafeEqualStrings } from './crypto.js';
import { withDb } from './db/client.js';
import { adminCredentials } from './db/schema.js';
import type { CommonConfig } from './env.js';
import { unauthorized } from './errors.js';

export interface AdminPrincipal {
  /** Cedar entity id of the principal (type `Admin`). */
  id: string;
  roles: string[];
  attributes: Record<string, unknown>;
  credentialId: string;
}

const ADMIN_CACHE_TTL_MS = 5_000;
const cache = new Map<string, { principal: AdminPrincipal | null; until: number }>();

export function bearerToken(header: string | undefined | null): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/.exec(header);
  return match?.[1];
}

/**
 * Resolves the admin principal for an `Authorization: Bearer` header, or throws 401.
 * `bootstrapToken` is the ADMIN_BOOTSTRAP_TOKEN secret of the calling Worker, if any.
 */
export async function authenticateAdmin(
  config: CommonConfig,
  authorization: string | undefined | null,
  bootstrapToken: string | undefined,
): Promise<AdminPrincipal> {
  const token = bearerToken(authorization);
  if (!token) throw unauthorized('an admin bearer token is required', 'Bearer realm="admin"');
  if (bootstrapToken && (await timingSafeEqualStrings(token, bootstrapToken))) {
    return { id: 'bootstrap', roles: ['superadmin'], attributes: {}, credentialId: 'bootstrap' };
  }
  // The token has 256 bits of entropy, so a plain SHA-256 is a sufficient (and constant-time-looked-up) key.
  const hash = await hashSecret(token);
  const now = Date.now();
  const hit = cache.get(hash);
  let principal: AdminPrincipal | null;
  if (hit && hit.until > now) {
    principal = hit.principal;
  } else {
    principal = await withDb(config, async (db) => {
      const rows = await db.select().from(adminCredentials).where(eq(adminCredentials.tokenHash, hash)).limit(1);
      const row = rows[0];
      if (!row || row.revokedAt) return null;
      return { id: row.principalId, roles: row.roles, attributes: row.attributes, credentialId: row.id };
    });
    if (cache.size > 10_000) cache.clear();
    cache.set(hash, { principal, until: now + ADMIN_CACHE_TTL_MS });
  }
  if (!principal) throw unauthorized('invalid admin credential', 'Bearer realm="admin", error="invalid_token"');
  return principal;
}
