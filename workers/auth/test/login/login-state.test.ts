/**
 * The hosted login's keyed-state machines and the code machine, on the memory store (which passes the shared
 * conformance suite): single-use codes with replay detection, transactions, sessions with idle and absolute
 * lifetimes, the per-user session index, consents and failure counters.
 */
import { describe, expect, it } from 'vitest';
import { memoryStateStore } from '../../../../shared/state/memory.js';
import { machineClient } from '../../../../shared/state/store.js';
import type { AuthorizationCodeGrant } from '../../src/authorize/domain/authorization-code.js';
import { authorizationCodes, REUSE_MEMORY_SECONDS } from '../../src/authorize/domain/code-machine.js';
import {
  consents,
  loginFailures,
  MAX_SESSIONS_PER_USER,
  sessions,
  userSessions,
} from '../../src/login/domain/login-state.js';
import { type SessionPolicy, startSession } from '../../src/login/domain/session.js';

function clock(start = 1_800_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const grant = (issuedAt: number): AuthorizationCodeGrant => ({
  clientId: 'c1',
  redirectUri: 'https://rp.example/cb',
  scopes: ['openid'],
  codeChallenge: 'x'.repeat(43),
  userId: 'u1',
  sessionId: 'sid',
  authTime: issuedAt,
  amr: ['pwd'],
  issuedAt,
  expiresAt: issuedAt + 60,
});

describe('authorization codes', () => {
  it('are consumed once; a later consumer is a replay and flags the code; recorded tokens are then revoked', async () => {
    const t = clock();
    const codes = machineClient(memoryStateStore(t.now), authorizationCodes);
    expect(await codes.issue('k', grant(t.now() / 1000))).toBe(true);
    expect(await codes.issue('k', grant(t.now() / 1000))).toBe(false);
    const first = await codes.consume('k');
    expect(first?.replay).toBe(false);
    const second = await codes.consume('k');
    expect(second?.replay).toBe(true);
    // The winner records its token after the replay: it is told to revoke it.
    expect(await codes.recordTokens('k', ['jti-1'])).toEqual({ revoke: true });
    expect((await codes.peek('k'))?.issuedTokenIds).toEqual(['jti-1']);
  });

  it('without a replay, recording asks for no revocation; the document outlives the code to catch late replays', async () => {
    const t = clock();
    const codes = machineClient(memoryStateStore(t.now), authorizationCodes);
    await codes.issue('k', grant(t.now() / 1000));
    await codes.consume('k');
    expect(await codes.recordTokens('k', ['jti-1'])).toEqual({ revoke: false });
    t.advance((60 + REUSE_MEMORY_SECONDS - 1) * 1000);
    expect((await codes.consume('k'))?.replay).toBe(true);
    t.advance(2000);
    expect(await codes.consume('k')).toBeNull();
  });

  it('of concurrent consumers exactly one wins', async () => {
    const codes = machineClient(memoryStateStore(), authorizationCodes);
    await codes.issue('k', grant(Math.floor(Date.now() / 1000)));
    const results = await Promise.all(Array.from({ length: 20 }, () => codes.consume('k')));
    expect(results.filter((r) => r?.replay === false)).toHaveLength(1);
  });
});

describe('sessions', () => {
  const policy: SessionPolicy = { idleSeconds: 100, absoluteSeconds: 1000, touchIntervalSeconds: 10 };

  it('end after the idle lifetime without use, and after the absolute lifetime whatever the use', async () => {
    const t = clock();
    const store = machineClient(memoryStateStore(t.now), sessions);
    const { session } = startSession({ userId: 'u1', now: t.now() / 1000, amr: ['pwd'] });
    await store.create('s', { session, policy });
    t.advance(99_000);
    expect(await store.read('s', policy)).not.toBeNull();
    t.advance(99_000); // used 99 s ago: still inside the idle window
    expect(await store.read('s', policy)).not.toBeNull();
    t.advance(101_000);
    expect(await store.read('s', policy)).toBeNull();

    const { session: busy } = startSession({ userId: 'u1', now: t.now() / 1000, amr: ['pwd'] });
    await store.create('b', { session: busy, policy });
    for (let i = 0; i < 12; i++) {
      t.advance(90_000);
      const read = await store.read('b', policy);
      // 90 s … 990 s after sign-in: alive; 1080 s: past the absolute lifetime.
      if (i < 11) expect(read).not.toBeNull();
      else expect(read).toBeNull();
    }
  });

  it('the per-user index lists, removes by handle, caps the count and clears', async () => {
    const t = clock();
    const index = machineClient(memoryStateStore(t.now), userSessions);
    const now = t.now() / 1000;
    for (let i = 0; i < MAX_SESSIONS_PER_USER + 2; i++) {
      const dropped = await index.add('u1', { key: `k${i}`, handle: `h${i}`, createdAt: now, endsAt: now + 100 });
      expect(dropped.map((e) => e.key)).toEqual(i >= MAX_SESSIONS_PER_USER ? [`k${i - MAX_SESSIONS_PER_USER}`] : []);
    }
    expect(await index.list('u1')).toHaveLength(MAX_SESSIONS_PER_USER);
    expect((await index.remove('u1', { handle: 'h10' }))?.key).toBe('k10');
    expect(await index.remove('u1', { handle: 'h10' })).toBeNull();
    expect(await index.clear('u1')).toHaveLength(MAX_SESSIONS_PER_USER - 1);
    expect(await index.list('u1')).toEqual([]);
  });
});

describe('consents and failure counters', () => {
  it('remembers granted scopes per user and client until revoked', async () => {
    const store = machineClient(memoryStateStore(), consents);
    expect(await store.get('u1', 'c1')).toEqual([]);
    await store.grant('u1', { clientId: 'c1', scopes: ['openid', 'email'] });
    await store.grant('u1', { clientId: 'c1', scopes: ['profile'] });
    await store.grant('u1', { clientId: 'c2', scopes: ['openid'] });
    expect(await store.get('u1', 'c1')).toEqual(['openid', 'email', 'profile']);
    expect(await store.get('u2', 'c1')).toEqual([]);
    // Not fooled by names of Object.prototype.
    expect(await store.get('u1', 'constructor')).toEqual([]);
    expect(Object.keys(await store.list('u1'))).toEqual(['c1', 'c2']);
    expect(await store.revoke('u1', 'c1')).toBe(true);
    expect(await store.revoke('u1', 'c1')).toBe(false);
    expect(await store.get('u1', 'c1')).toEqual([]);
    expect(await store.get('u1', 'c2')).toEqual(['openid']);
  });

  it('counts failures within the window and starts again after it', async () => {
    const t = clock();
    const store = machineClient(memoryStateStore(t.now), loginFailures);
    await store.fail('x', 60);
    expect((await store.fail('x', 60)).failures).toBe(2);
    t.advance(61_000);
    expect(await store.get('x')).toBeNull();
    expect((await store.fail('x', 60)).failures).toBe(1);
    await store.clear('x');
    expect(await store.get('x')).toBeNull();
  });
});
