import { describe, expect, it } from 'vitest';
import { decideAuthentication } from '../../src/login/domain/authentication.js';
import { clearCookie, cookieSecurityFor, readCookie, setCookie } from '../../src/login/domain/cookies.js';
import { checkTransaction, newLoginTransaction, parseTransactionId } from '../../src/login/domain/login-transaction.js';
import {
  DEFAULT_SESSION_POLICY,
  isSessionId,
  remainingLifetime,
  type Session,
  sessionStatus,
  shouldTouch,
  startSession,
} from '../../src/login/domain/session.js';

const https = cookieSecurityFor('https://auth.example.com');
const local = cookieSecurityFor('http://127.0.0.1:8080');

describe('cookies', () => {
  it('writes __Host- cookies over https: Secure, HttpOnly, SameSite=Lax, Path=/, no Domain', () => {
    const header = setCookie('session', 'abc', https, { maxAge: 3600 });
    expect(header).toBe('__Host-session=abc; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=3600');
    expect(header).not.toMatch(/domain=/i);
    expect(clearCookie('session', https)).toBe('__Host-session=; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=0');
  });

  it('drops Secure and the prefix only for a plain-http loopback issuer', () => {
    expect(setCookie('session', 'abc', local)).toBe('session=abc; Path=/; HttpOnly; SameSite=Lax');
    expect(cookieSecurityFor('http://[::1]:8080')).toEqual({ secure: false });
    expect(() => cookieSecurityFor('http://auth.example.com')).toThrow();
    expect(() => cookieSecurityFor('http://10.0.0.1')).toThrow();
  });

  it('refuses values that could inject attributes or other cookies', () => {
    for (const bad of ['a;b', 'a b', 'a,b', 'a\r\nSet-Cookie: x=y', 'a"b', 'a\\b', 'é', 'x'.repeat(513)]) {
      expect(() => setCookie('session', bad, https), bad).toThrow();
    }
  });

  it('reads our cookie only under its own name, strictly', () => {
    expect(readCookie('a=1; __Host-session=abc; b=2', 'session', https)).toBe('abc');
    expect(readCookie('session=abc', 'session', https)).toBeUndefined(); // unprefixed: could be planted
    expect(readCookie('__Host-session=abc', 'session', local)).toBeUndefined();
    expect(readCookie('session=abc', 'session', local)).toBe('abc');
    expect(readCookie('__Host-session="abc"', 'session', https)).toBe('abc');
    expect(readCookie('__Host-session=abc; __Host-session=def', 'session', https)).toBeUndefined();
    expect(readCookie('__Host-session=', 'session', https)).toBeUndefined();
    expect(readCookie('__Host-session=a b', 'session', https)).toBeUndefined();
    expect(readCookie(`__Host-session=${'x'.repeat(600)}`, 'session', https)).toBeUndefined();
    expect(readCookie(`${'x=y; '.repeat(2000)}__Host-session=abc`, 'session', https)).toBeUndefined();
    expect(readCookie('__Host-sessionx=abc', 'session', https)).toBeUndefined();
    expect(readCookie(null, 'session', https)).toBeUndefined();
  });
});

describe('sessions', () => {
  const started = startSession({ userId: 'usr-1', now: 1000, amr: ['pwd'], userAgent: 'x'.repeat(500) });
  const session = started.session;

  it('gets a new 256-bit id at every sign-in and ends the one the browser had (fixation)', () => {
    expect(isSessionId(session.id)).toBe(true);
    const again = startSession({ userId: 'usr-1', now: 1001, amr: ['pwd'], previousSessionId: session.id });
    expect(again.session.id).not.toBe(session.id);
    expect(again.endSessionIds).toEqual([session.id]);
    expect(started.endSessionIds).toEqual([]);
    expect(session.userAgent).toHaveLength(200);
  });

  it('expires when idle or too old, whichever comes first', () => {
    const p = DEFAULT_SESSION_POLICY;
    expect(sessionStatus(session, 1000 + p.idleSeconds - 1)).toBe('active');
    expect(sessionStatus(session, 1000 + p.idleSeconds)).toBe('idle-expired');
    const busy: Session = { ...session, lastSeenAt: 1000 + p.absoluteSeconds - 10 };
    expect(sessionStatus(busy, 1000 + p.absoluteSeconds - 1)).toBe('active');
    expect(sessionStatus(busy, 1000 + p.absoluteSeconds)).toBe('expired');
    expect(remainingLifetime(busy, 1000 + p.absoluteSeconds - 100)).toBe(100);
    expect(remainingLifetime(session, 1000)).toBe(p.idleSeconds);
  });

  it('records use at most every touch interval', () => {
    expect(shouldTouch(session, 1000 + 299)).toBe(false);
    expect(shouldTouch(session, 1000 + 300)).toBe(true);
  });
});

describe('when to authenticate', () => {
  const session: Session = {
    id: 's',
    userId: 'usr-1',
    createdAt: 1000,
    lastSeenAt: 1000,
    authTime: 1000,
    amr: ['pwd'],
  };
  const base = { session, prompt: [] as const, requestStartedAt: 2000, now: 2000 };

  it('continues an active session, signs in without one', () => {
    expect(decideAuthentication(base)).toEqual({ action: 'continue', session });
    expect(decideAuthentication({ ...base, session: undefined })).toEqual({ action: 'sign-in', reason: 'no-session' });
  });

  it('forces re-authentication for prompt=login and elapsed max_age, but not twice in one request', () => {
    expect(decideAuthentication({ ...base, prompt: ['login'] })).toEqual({ action: 'sign-in', reason: 'prompt-login' });
    expect(decideAuthentication({ ...base, maxAge: 999 })).toEqual({ action: 'sign-in', reason: 'max-age' });
    expect(decideAuthentication({ ...base, maxAge: 1000 }).action).toBe('continue');
    expect(
      decideAuthentication({ ...base, maxAge: 0, session: { ...session, authTime: 2000 }, requestStartedAt: 2001 })
        .action,
    ).toBe('sign-in');
    const fresh = { ...session, authTime: 2005 };
    expect(decideAuthentication({ ...base, session: fresh, prompt: ['login'], now: 2005 }).action).toBe('continue');
    expect(decideAuthentication({ ...base, session: fresh, maxAge: 0, now: 2005 }).action).toBe('continue');
  });

  it('signs in again when id_token_hint names someone else', () => {
    expect(decideAuthentication({ ...base, idTokenHint: { sub: 'usr-2' } })).toEqual({
      action: 'sign-in',
      reason: 'other-user',
    });
    expect(decideAuthentication({ ...base, idTokenHint: { sub: 'usr-1' } }).action).toBe('continue');
  });

  it('turns every page into an error under prompt=none', () => {
    const none = { ...base, prompt: ['none'] as const };
    expect(decideAuthentication({ ...none, session: undefined })).toMatchObject({
      action: 'error',
      error: 'login_required',
    });
    expect(decideAuthentication({ ...none, maxAge: 10 })).toMatchObject({ action: 'error', error: 'login_required' });
    expect(decideAuthentication({ ...none, idTokenHint: { sub: 'usr-2' } })).toMatchObject({ error: 'login_required' });
    expect(decideAuthentication(none).action).toBe('continue');
  });

  it('offers the account choice for prompt=select_account', () => {
    expect(decideAuthentication({ ...base, prompt: ['select_account'] })).toEqual({
      action: 'select-account',
      session,
    });
  });
});

describe('login transactions', () => {
  const request = {
    clientId: 'c',
    redirectUri: 'https://rp.example.com/cb',
    responseMode: 'query' as const,
    scopes: ['openid'],
    openid: true,
    codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    codeChallengeMethod: 'S256' as const,
    prompt: [],
    uiLocales: [],
    acrValues: [],
  };

  it('is bound to the browser that started it and expires', () => {
    const tx = newLoginTransaction(request, 1000);
    expect(parseTransactionId(tx.id)).toBe(tx.id);
    expect(parseTransactionId(`${tx.id}.`)).toBeUndefined();
    expect(checkTransaction(tx, tx.id, 1500)).toEqual({ ok: true });
    expect(checkTransaction(tx, tx.id, 1600)).toEqual({ ok: false, reason: 'expired' });
    expect(checkTransaction(tx, newLoginTransaction(request, 1000).id, 1500)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(checkTransaction(undefined, tx.id, 1500)).toEqual({ ok: false, reason: 'missing' });
    expect(checkTransaction(tx, undefined, 1500)).toEqual({ ok: false, reason: 'missing' });
  });
});
