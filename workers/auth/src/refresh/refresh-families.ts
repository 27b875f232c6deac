/**
 * Refresh-token families over the keyed-state store: the crypto a transition cannot do (hashing, sealing and opening
 * the successor, with WebCrypto's awaits) around the atomic transitions of domain/refresh-family.ts. Every decision
 * is the transition's; this module only prepares its arguments and turns its result into tokens.
 *
 * One refresh is one store operation (on Redis: one script call to read, one to write; on a Durable Object: one
 * RPC). The successor is generated and sealed before the operation, so a retry answered from the sealed copy and
 * a rotation cost the same.
 */
import { machineClient, type MachineClient, type StateStore } from '../../../../shared/state/store.js';
import {
  type FamilyGrant,
  type RevokeOutcome,
  type RotateOutcome,
  refreshFamilies,
  type StartFamily,
} from './domain/refresh-family.js';
import {
  familyKeyOf,
  newFamilySecret,
  newRefreshToken,
  openSuccessor,
  parseRefreshToken,
  sealSuccessor,
  tokenHashOf,
} from './domain/refresh-token.js';
import { type FamilyEntry, userRefreshFamilies } from './domain/user-families.js';

export type StartArgs = Omit<StartFamily, 'tokenHash'>;

export type RefreshResult =
  /** A refresh token to return (the new successor, or the same successor again for an honest retry). */
  | { outcome: 'rotated' | 'retried'; refreshToken: string; familyKey: string; grant: FamilyGrant }
  | (Exclude<RotateOutcome, { outcome: 'rotated' | 'retried' }> & { familyKey: string })
  /** Not a token this server could have issued: no store operation was made. */
  | { outcome: 'malformed' };

export type RevokeResult = (RevokeOutcome & { familyKey: string }) | { outcome: 'malformed' };

export class RefreshFamilies {
  private readonly families: MachineClient<typeof refreshFamilies>;
  /** Each user's families, for the operator's "revoke all" (revokeUser). */
  private readonly byUser: MachineClient<typeof userRefreshFamilies>;

  constructor(
    store: StateStore,
    private readonly settings: { retryWindowMs: number },
  ) {
    this.families = machineClient(store, refreshFamilies);
    this.byUser = machineClient(store, userRefreshFamilies);
  }

  /** Starts a family; returns its first refresh token and its key (the `rfid` claim). */
  async start(args: StartArgs): Promise<{ refreshToken: string; familyKey: string }> {
    const familySecret = newFamilySecret();
    const refreshToken = newRefreshToken(familySecret);
    const [familyKey, tokenHash] = await Promise.all([familyKeyOf(familySecret), tokenHashOf(refreshToken)]);
    // 128 random bits: a taken key means a broken random source, and the family is not overwritten.
    if (!(await this.families.start(familyKey, { ...args, tokenHash }))) {
      throw new Error('refresh family key collision');
    }
    const entry = { key: familyKey, clientId: args.clientId, endsAt: Date.now() + args.absoluteMs };
    for (const old of await this.byUser.add(args.sub, entry))
      await this.families.revoke(old.key, { reason: 'too_many' });
    return { refreshToken, familyKey };
  }

  /** The refresh_token grant's state step for `presented`, by `clientId`, optionally narrowing scope and audience. */
  async refresh(
    presented: string,
    req: { clientId: string; scope?: string[]; aud?: string[] },
  ): Promise<RefreshResult> {
    const parsed = parseRefreshToken(presented);
    if (!parsed) return { outcome: 'malformed' };
    const candidate = newRefreshToken(parsed.familySecret);
    const familyKey = await familyKeyOf(parsed.familySecret);
    const [presentedHash, successorHash, sealed] = await Promise.all([
      tokenHashOf(presented),
      tokenHashOf(candidate),
      sealSuccessor(presented, candidate, familyKey),
    ]);
    const result = await this.families.rotate(familyKey, {
      presented: presentedHash,
      clientId: req.clientId,
      ...(req.scope !== undefined ? { scope: req.scope } : {}),
      ...(req.aud !== undefined ? { aud: req.aud } : {}),
      successor: successorHash,
      sealed,
      retryWindowMs: this.settings.retryWindowMs,
    });
    if (result.outcome === 'rotated') return { ...result, refreshToken: candidate, familyKey };
    if (result.outcome === 'retried') {
      // The successor another request created: open it with the token it replaced (the presented one).
      const refreshToken = await openSuccessor(presented, result.sealed, familyKey);
      return { outcome: 'retried', refreshToken, familyKey, grant: result.grant };
    }
    return { ...result, familyKey };
  }

  /** Ends the family with key `familyKey`: the server's own decision (a replayed authorization code, say). */
  async revokeKey(familyKey: string, reason: string): Promise<RevokeOutcome> {
    return this.families.revoke(familyKey, { reason });
  }

  /**
   * Ends every live family of the user `sub` (an operator's decision); answers those that were live, so their
   * access tokens can be denylisted.
   */
  async revokeUser(sub: string, reason: string): Promise<FamilyEntry[]> {
    const entries = await this.byUser.clear(sub, undefined);
    const ended: FamilyEntry[] = [];
    for (const entry of entries) {
      const result = await this.families.revoke(entry.key, { reason });
      if (result.outcome === 'revoked' && !result.already) ended.push(entry);
    }
    return ended;
  }

  /** Ends the family of `presented` (any of its tokens). `clientId` undefined: the server's own decision. */
  async revoke(presented: string, reason: string, clientId?: string): Promise<RevokeResult> {
    const parsed = parseRefreshToken(presented);
    if (!parsed) return { outcome: 'malformed' };
    const familyKey = await familyKeyOf(parsed.familySecret);
    const result = await this.families.revoke(familyKey, clientId === undefined ? { reason } : { reason, clientId });
    return { ...result, familyKey };
  }
}
