/**
 * The refresh-family machine's behaviour on one keyed-state backend (refresh-family.test.ts runs it on each):
 * rotation, honest retry, reuse, concurrency, client binding, scope narrowing, lifetimes and revocation, through
 * RefreshFamilies (the same code the token endpoint uses) on the real store.
 */
import { describe, expect, it } from 'vitest';
import { StateUnavailableError } from '../../../../shared/state/errors.js';
import { machineClient, type StateStore } from '../../../../shared/state/store.js';
import { type RefreshFamily, refreshFamilies } from '../../src/refresh/domain/refresh-family.js';
import { familyKeyOf, newRefreshToken, parseRefreshToken } from '../../src/refresh/domain/refresh-token.js';
import { RefreshFamilies, type RefreshResult, type StartArgs } from '../../src/refresh/refresh-families.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const FAMILY: StartArgs = {
  clientId: 'app',
  sub: 'user-1',
  scope: ['openid', 'offline_access', 'read', 'write'],
  aud: ['https://api.example.com'],
  idleMs: 60_000,
  absoluteMs: 3_600_000,
};

export function tokenOf(r: RefreshResult): string {
  if (r.outcome !== 'rotated' && r.outcome !== 'retried') throw new Error(`expected a token, got ${r.outcome}`);
  return r.refreshToken;
}

export function describeRefreshFamilies(name: string, store: StateStore) {
  const inspect = (key: string) => machineClient(store, refreshFamilies).inspect(key) as Promise<RefreshFamily | null>;

  describe(`refresh families: ${name}`, () => {
    const families = new RefreshFamilies(store, { retryWindowMs: 30_000 });

    it('rotates: a new token each time, the used one superseded; only hashes are stored', async () => {
      const { refreshToken: t1, familyKey } = await families.start(FAMILY);
      const r1 = await families.refresh(t1, { clientId: 'app' });
      expect(r1.outcome).toBe('rotated');
      const t2 = tokenOf(r1);
      expect(t2).not.toBe(t1);
      expect(parseRefreshToken(t2)?.familySecret).toBe(parseRefreshToken(t1)?.familySecret);
      expect(r1.outcome === 'rotated' && r1.grant).toMatchObject({ clientId: 'app', sub: 'user-1', generation: 1 });
      const t3 = tokenOf(await families.refresh(t2, { clientId: 'app' }));
      const doc = await inspect(familyKey);
      expect(doc?.generation).toBe(2);
      const stored = JSON.stringify(doc);
      for (const t of [t1, t2, t3]) {
        expect(stored).not.toContain(t);
        expect(stored).not.toContain(t.slice(23)); // nor any token's own secret
      }
      expect(stored).not.toContain(parseRefreshToken(t1)?.familySecret); // nor the family's secret
      expect(familyKey).toBe(await familyKeyOf(parseRefreshToken(t1)?.familySecret as string));
    });

    it('every rotation carries the sign-in the family came from (auth_time, amr, acr); a family without one, none', async () => {
      const authn = { authTime: 1_700_000_000, amr: ['pwd', 'otp', 'mfa'], acr: 'urn:edge-security:acr:mfa' };
      const { refreshToken: t1 } = await families.start({ ...FAMILY, authn });
      const r1 = await families.refresh(t1, { clientId: 'app' });
      expect(r1.outcome === 'rotated' && r1.grant.authn).toEqual(authn);
      const r2 = await families.refresh(tokenOf(r1), { clientId: 'app' });
      expect(r2.outcome === 'rotated' && r2.grant.authn).toEqual(authn);
      const { refreshToken: m1 } = await families.start(FAMILY);
      const m = await families.refresh(m1, { clientId: 'app' });
      expect(m.outcome === 'rotated' && 'authn' in m.grant).toBe(false);
    });

    it('an honest retry within the window gets the same successor again, without a write', async () => {
      const { refreshToken: t1, familyKey } = await families.start(FAMILY);
      const first = await families.refresh(t1, { clientId: 'app' });
      const before = JSON.stringify(await inspect(familyKey));
      const again = await families.refresh(t1, { clientId: 'app' });
      expect(again.outcome).toBe('retried');
      expect(tokenOf(again)).toBe(tokenOf(first));
      expect(JSON.stringify(await inspect(familyKey))).toBe(before);
      // The family goes on through that successor.
      expect((await families.refresh(tokenOf(first), { clientId: 'app' })).outcome).toBe('rotated');
    });

    it('50 concurrent refreshes of one token: exactly one successor; every answer is it or an error', async () => {
      const { refreshToken: t1, familyKey } = await families.start(FAMILY);
      const settled = await Promise.allSettled(
        Array.from({ length: 50 }, () => families.refresh(t1, { clientId: 'app' })),
      );
      const answers = settled.filter((s) => s.status === 'fulfilled').map((s) => s.value);
      const errors = settled.filter((s) => s.status === 'rejected').map((s) => s.reason);
      // Optimistic Redis may refuse some under this contention (a clean 503, nothing written); nothing else fails.
      for (const e of errors) expect(e instanceof StateUnavailableError && e.reason, String(e)).toBe('contended');
      expect(answers.length).toBeGreaterThan(0);
      expect(answers.filter((a) => a.outcome === 'rotated')).toHaveLength(1);
      expect(answers.every((a) => a.outcome === 'rotated' || a.outcome === 'retried')).toBe(true);
      expect(new Set(answers.map(tokenOf)).size).toBe(1);
      expect((await inspect(familyKey))?.generation).toBe(1);
      expect((await families.refresh(tokenOf(answers[0] as RefreshResult), { clientId: 'app' })).outcome).toBe(
        'rotated',
      );
    });

    it('theft: the superseded token after the window revokes the family; both parties are refused', async () => {
      const short = new RefreshFamilies(store, { retryWindowMs: 100 });
      const { refreshToken: t1, familyKey } = await short.start(FAMILY);
      const t2 = tokenOf(await short.refresh(t1, { clientId: 'app' }));
      await sleep(150);
      const attacker = await short.refresh(t1, { clientId: 'app' });
      expect(attacker).toMatchObject({ outcome: 'reused', late: true, clientId: 'app', sub: 'user-1', familyKey });
      expect(await short.refresh(t2, { clientId: 'app' })).toMatchObject({ outcome: 'revoked', reason: 'reuse' });
      expect(await short.refresh(t1, { clientId: 'app' })).toMatchObject({ outcome: 'revoked' });
      const doc = await inspect(familyKey);
      expect(doc?.revoked?.reason).toBe('reuse');
      expect(doc?.previous).toBeUndefined(); // the sealed successor is gone with it
    });

    it('a token two generations old is reuse even inside the window (its successor was used)', async () => {
      const { refreshToken: t1 } = await families.start(FAMILY);
      const t2 = tokenOf(await families.refresh(t1, { clientId: 'app' }));
      const t3 = tokenOf(await families.refresh(t2, { clientId: 'app' }));
      expect(await families.refresh(t1, { clientId: 'app' })).toMatchObject({ outcome: 'reused', late: false });
      expect((await families.refresh(t3, { clientId: 'app' })).outcome).toBe('revoked');
    });

    it('a forged token with the family secret is reuse; an unknown family is just unknown', async () => {
      const { refreshToken: t1 } = await families.start(FAMILY);
      const secret = parseRefreshToken(t1)?.familySecret as string;
      expect((await families.refresh(newRefreshToken(secret), { clientId: 'app' })).outcome).toBe('reused');
      expect((await families.refresh(t1, { clientId: 'app' })).outcome).toBe('revoked');
      const other = (await families.start(FAMILY)).refreshToken;
      const stranger = `${'A'.repeat(22)}${other.slice(22)}`;
      expect((await families.refresh(stranger, { clientId: 'app' })).outcome).toBe('unknown');
      expect((await families.refresh('not-a-token', { clientId: 'app' })).outcome).toBe('malformed');
      expect((await families.refresh(other, { clientId: 'app' })).outcome).toBe('rotated');
    });

    it('client binding: another client is refused and changes nothing (it cannot burn the family either)', async () => {
      const { refreshToken: t1, familyKey } = await families.start(FAMILY);
      const before = JSON.stringify(await inspect(familyKey));
      expect((await families.refresh(t1, { clientId: 'other' })).outcome).toBe('wrong_client');
      const forged = newRefreshToken(parseRefreshToken(t1)?.familySecret as string);
      expect((await families.refresh(forged, { clientId: 'other' })).outcome).toBe('wrong_client');
      expect((await families.revoke(t1, 'client_request', 'other')).outcome).toBe('wrong_client');
      expect(JSON.stringify(await inspect(familyKey))).toBe(before);
      expect((await families.refresh(t1, { clientId: 'app' })).outcome).toBe('rotated');
    });

    it('scope: a refresh may narrow (that access token only), never widen', async () => {
      const { refreshToken: t1, familyKey } = await families.start(FAMILY);
      const narrow = await families.refresh(t1, { clientId: 'app', scope: ['read'] });
      expect(narrow.outcome === 'rotated' && narrow.grant.scope).toEqual(['read']);
      const t2 = tokenOf(narrow);
      const before = JSON.stringify(await inspect(familyKey));
      expect(await families.refresh(t2, { clientId: 'app', scope: ['read', 'admin'] })).toMatchObject({
        outcome: 'invalid_scope',
        extra: ['admin'],
      });
      expect(JSON.stringify(await inspect(familyKey))).toBe(before); // refused: nothing used up
      // The refresh token keeps the family's scope (RFC 6749 §6): the next refresh may ask for all of it again.
      const full = await families.refresh(t2, { clientId: 'app' });
      expect(full.outcome === 'rotated' && full.grant.scope).toEqual(FAMILY.scope);
    });

    it('idle lifetime: a family unused for its idle lifetime is gone; each rotation moves it', async () => {
      const { refreshToken: t1, familyKey } = await families.start({ ...FAMILY, idleMs: 400 });
      await sleep(250);
      const t2 = tokenOf(await families.refresh(t1, { clientId: 'app' }));
      await sleep(250); // 500 ms after the start, 250 after the rotation: alive
      const t3 = tokenOf(await families.refresh(t2, { clientId: 'app' }));
      await sleep(550);
      expect((await families.refresh(t3, { clientId: 'app' })).outcome).toBe('unknown');
      expect(await inspect(familyKey)).toBeNull();
    });

    it('absolute lifetime: rotations do not extend a family past it', async () => {
      const { refreshToken: t1 } = await families.start({ ...FAMILY, idleMs: 10_000, absoluteMs: 600 });
      await sleep(300);
      const t2 = tokenOf(await families.refresh(t1, { clientId: 'app' }));
      await sleep(400);
      expect((await families.refresh(t2, { clientId: 'app' })).outcome).toBe('unknown');
    });

    it('revocation (any token of the family, by its client) ends the family', async () => {
      const { refreshToken: t1, familyKey } = await families.start(FAMILY);
      const t2 = tokenOf(await families.refresh(t1, { clientId: 'app' }));
      expect(await families.revoke(t1, 'client_request', 'app')).toMatchObject({
        outcome: 'revoked',
        already: false,
        familyKey,
      });
      expect(await families.revoke(t2, 'client_request', 'app')).toMatchObject({ outcome: 'revoked', already: true });
      expect(await families.refresh(t2, { clientId: 'app' })).toMatchObject({
        outcome: 'revoked',
        reason: 'client_request',
      });
      expect((await families.revoke(`${'B'.repeat(22)}${t1.slice(22)}`, 'client_request', 'app')).outcome).toBe(
        'unknown',
      );
    });

    it("an operator's revokeUser ends every live family of the user, and nobody else's", async () => {
      const sub = `user-${Math.random()}`;
      const web = await families.start({ ...FAMILY, sub });
      const mobile = await families.start({ ...FAMILY, sub, clientId: 'mobile' });
      const other = await families.start({ ...FAMILY, sub: `${sub}-other` });
      const rotated = tokenOf(await families.refresh(web.refreshToken, { clientId: 'app' }));
      const ended = await families.revokeUser(sub, 'admin');
      expect(ended.map((e) => [e.key, e.clientId]).sort()).toEqual(
        [
          [web.familyKey, 'app'],
          [mobile.familyKey, 'mobile'],
        ].sort(),
      );
      expect(await families.refresh(rotated, { clientId: 'app' })).toMatchObject({
        outcome: 'revoked',
        reason: 'admin',
      });
      expect((await families.refresh(mobile.refreshToken, { clientId: 'mobile' })).outcome).toBe('revoked');
      expect((await families.refresh(other.refreshToken, { clientId: 'app' })).outcome).toBe('rotated');
      // The index is empty now: a second call ends nothing.
      expect(await families.revokeUser(sub, 'admin')).toEqual([]);
    });
  });
}
