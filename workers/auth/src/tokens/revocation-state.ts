/**
 * Whether a token is revoked, as introspection asks it: the isolate's reading of the revocation store. In steady
 * state, the isolate's memory under the revocation lease, or one Redis round trip (the denylist's change log, the
 * denylist and its completeness marker, with the key set's version); the durable
 * record when the denylist is not known to be complete or Redis does not answer, and then a rebuild of the
 * denylist in the background (at most one attempt per isolate every REBUILD_RETRY_MS, and one at a time across
 * isolates: the store's lock). A failure of both sources throws (503): a token is never reported active unchecked.
 *
 * Every revocation made here is acknowledged (the call resolves) only after the lease (domain/revocation-lease.ts),
 * so every isolate and replica sees it from then on.
 */
import { logError } from '../../../../shared/dependencies.js';
import type { WaitUntil } from '../clients/domain/client-store.js';
import { denylistAnswer, familyMember } from './domain/denylist.js';
import type { RevocationLease } from './domain/revocation-lease.js';
import type { Revocation, RevocationStore, TokenState } from './domain/revocation-store.js';

/** An isolate that found the denylist incomplete starts at most one rebuild per this interval. */
const REBUILD_RETRY_MS = 5_000;

export class RevocationState {
  private nextRebuildAt = 0;

  /** `lease`: the revocation lease, the same one the store's reader answers under. */
  constructor(
    private readonly store: RevocationStore,
    private readonly lease: RevocationLease,
  ) {}

  async revoke(revocation: Revocation): Promise<void> {
    await this.store.revoke(revocation);
    await this.lease.acknowledge();
  }

  /** `rfid`: the token's refresh-token family, when it came from one (its revocation revokes the token too). */
  async state(jti: string, ctx: WaitUntil, rfid?: string): Promise<TokenState> {
    const family = rfid === undefined ? undefined : familyMember(rfid);
    const found = await this.store.lookup(jti, family, ctx);
    const answer = found ? denylistAnswer(found.jtiScore, found.markerScore, found.familyScore) : 'unknown';
    if (answer !== 'unknown') return { revoked: answer === 'revoked', keySetVersion: found?.keySetVersion };
    if (found) this.startRebuild(ctx);
    return { revoked: await this.store.isRevokedDurably(jti, family), keySetVersion: found?.keySetVersion };
  }

  /**
   * Revokes every access token issued from a refresh-token family: its member on the denylist (and the durable
   * record), until `exp` (epoch seconds), by when every access token the family issued has expired. Idempotent.
   */
  revokeFamily(rfid: string, clientId: string, exp: number, reason: string): Promise<void> {
    return this.revoke({ jti: familyMember(rfid), clientId, exp, reason });
  }

  /** Maintenance: re-asserts the denylist from the durable record (see RevocationStore.rebuild). */
  rebuild(): Promise<number | null> {
    return this.store.rebuild();
  }

  /** Maintenance: deletes durable records of expired tokens. */
  prune(): Promise<number> {
    return this.store.prune();
  }

  private startRebuild(ctx: WaitUntil): void {
    const now = Date.now();
    if (now < this.nextRebuildAt) return;
    this.nextRebuildAt = now + REBUILD_RETRY_MS;
    ctx.waitUntil(
      this.store.rebuild(now).catch((err) => {
        logError('auth', 'denylist rebuild failed', err);
      }),
    );
  }
}
