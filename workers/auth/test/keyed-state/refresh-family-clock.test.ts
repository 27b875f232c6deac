/**
 * The refresh-family rules at their exact edges, on the memory store with a controllable clock (the transitions are
 * the same on every backend; refresh-family.test.ts runs them on the real ones with real time).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { memoryStateStore } from '../../../../shared/state/memory.js';
import { machineClient } from '../../../../shared/state/store.js';
import { type RefreshFamily, refreshFamilies } from '../../src/refresh/domain/refresh-family.js';
import { sealSuccessor } from '../../src/refresh/domain/refresh-token.js';
import { RefreshFamilies } from '../../src/refresh/refresh-families.js';
import { FAMILY, tokenOf } from './refresh-family-suite.js';

const WINDOW = 30_000;
let now = 1_800_000_000_000;
const store = memoryStateStore(() => now);
const families = new RefreshFamilies(store, { retryWindowMs: WINDOW });
const inspect = (key: string) => machineClient(store, refreshFamilies).inspect(key) as Promise<RefreshFamily | null>;

beforeEach(() => {
  now += 86_400_000;
});

describe('refresh families on a controllable clock', () => {
  it('the retry window: the last millisecond inside answers the successor, its end is reuse', async () => {
    const { refreshToken: t1 } = await families.start(FAMILY);
    const t2 = tokenOf(await families.refresh(t1, { clientId: 'app' }));
    now += WINDOW - 1;
    expect(tokenOf(await families.refresh(t1, { clientId: 'app' }))).toBe(t2);
    now += 1; // supersededAt + window exactly
    expect(await families.refresh(t1, { clientId: 'app' })).toMatchObject({ outcome: 'reused', late: true });
    expect((await families.refresh(t2, { clientId: 'app' })).outcome).toBe('revoked');
  });

  it('a window of 0 disables retries: any second presentation is reuse', async () => {
    const strict = new RefreshFamilies(store, { retryWindowMs: 0 });
    const { refreshToken: t1 } = await strict.start(FAMILY);
    await strict.refresh(t1, { clientId: 'app' });
    expect((await strict.refresh(t1, { clientId: 'app' })).outcome).toBe('reused');
  });

  it('retry vs use of the successor, in either order', async () => {
    // The retry first: it gets the successor, which then rotates normally.
    const a = await families.start(FAMILY);
    const a2 = tokenOf(await families.refresh(a.refreshToken, { clientId: 'app' }));
    expect(tokenOf(await families.refresh(a.refreshToken, { clientId: 'app' }))).toBe(a2);
    expect((await families.refresh(a2, { clientId: 'app' })).outcome).toBe('rotated');
    // The successor used first: the retry is now two generations behind, reuse, even inside the window.
    const b = await families.start(FAMILY);
    const b2 = tokenOf(await families.refresh(b.refreshToken, { clientId: 'app' }));
    const b3 = tokenOf(await families.refresh(b2, { clientId: 'app' }));
    now += 1;
    expect((await families.refresh(b.refreshToken, { clientId: 'app' })).outcome).toBe('reused');
    expect((await families.refresh(b3, { clientId: 'app' })).outcome).toBe('revoked');
  });

  it('idle lifetime: alive at its last millisecond, gone at its end; a retry does not extend it', async () => {
    const idle = 60_000;
    const { refreshToken: t1, familyKey } = await families.start({ ...FAMILY, idleMs: idle });
    now += 10_000;
    const t2 = tokenOf(await families.refresh(t1, { clientId: 'app' }));
    const rotatedAt = now;
    now += 20_000;
    expect(tokenOf(await families.refresh(t1, { clientId: 'app' }))).toBe(t2); // a retry, 20 s later
    now = rotatedAt + idle - 1;
    expect(await inspect(familyKey)).not.toBeNull();
    now = rotatedAt + idle;
    expect((await families.refresh(t2, { clientId: 'app' })).outcome).toBe('unknown');
  });

  it('absolute lifetime: at its end the family is gone, however recently it rotated', async () => {
    const { refreshToken: t1 } = await families.start({ ...FAMILY, idleMs: 7_200_000, absoluteMs: 7_200_000 });
    const start = now;
    now = start + 7_200_000 - 1_000;
    const t2 = tokenOf(await families.refresh(t1, { clientId: 'app' }));
    now = start + 7_200_000 - 1;
    const t3 = tokenOf(await families.refresh(t2, { clientId: 'app' }));
    now = start + 7_200_000;
    expect((await families.refresh(t3, { clientId: 'app' })).outcome).toBe('unknown');
  });

  it('a revoked family answers revoked until its expiry, then unknown', async () => {
    const { refreshToken: t1 } = await families.start({ ...FAMILY, idleMs: 60_000 });
    const t2 = tokenOf(await families.refresh(t1, { clientId: 'app' }));
    await families.revoke(t2, 'client_request', 'app');
    now += 59_999;
    expect((await families.refresh(t2, { clientId: 'app' })).outcome).toBe('revoked');
    now += 1;
    expect((await families.refresh(t2, { clientId: 'app' })).outcome).toBe('unknown');
  });

  it('a sealed successor that does not open with the presented token fails the retry (no other token answered)', async () => {
    const { refreshToken: t1, familyKey } = await families.start(FAMILY);
    await families.refresh(t1, { clientId: 'app' });
    // Someone with write access to the store swaps the sealed successor for one sealed under another token.
    const id = `refresh-family:${familyKey}`;
    const stored = store.values.get(id) as string;
    const doc = (await inspect(familyKey)) as RefreshFamily;
    const foreign = await sealSuccessor(`${'C'.repeat(22)}.${'D'.repeat(43)}`, 'attacker-chosen', familyKey);
    store.values.set(id, stored.replace(doc.previous?.sealed as string, foreign));
    const err = await families.refresh(t1, { clientId: 'app' }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('RefreshTokenSealError');
  });
});
