import { describe, expect, it } from 'vitest';
import { decideConsent, describeScope, mergeGrant } from '../../src/login/domain/consent.js';
import { checkFormOrigin, csrfToken, verifyCsrfToken } from '../../src/login/domain/csrf.js';
import { issueDeviceCookie, readDeviceCookie } from '../../src/login/domain/device-cookie.js';
import { importHmacKey } from '../../src/login/domain/hmac.js';
import {
  countersFor,
  DEFAULT_THROTTLE_POLICY,
  decideLoginAttempt,
  delayAfter,
  keysToCharge,
  keysToClear,
  SIGN_IN_FAILED,
  signInThrottledMessage,
  throttleKeys,
} from '../../src/login/domain/throttle.js';

const key = await importHmacKey(new Uint8Array(32).fill(7));
const otherKey = await importHmacKey(new Uint8Array(32).fill(8));

describe('CSRF tokens', () => {
  it('verify only for the same form, binding and key', async () => {
    const token = await csrfToken(key, 'sign-in', 'tx-1');
    expect(await verifyCsrfToken(key, 'sign-in', 'tx-1', token)).toBe(true);
    expect(await verifyCsrfToken(key, 'consent', 'tx-1', token)).toBe(false);
    expect(await verifyCsrfToken(key, 'sign-in', 'tx-2', token)).toBe(false);
    expect(await verifyCsrfToken(otherKey, 'sign-in', 'tx-1', token)).toBe(false);
    expect(await verifyCsrfToken(key, 'sign-in', '', await csrfToken(key, 'sign-in', ''))).toBe(false);
  });

  it('reject missing, malformed and tampered tokens', async () => {
    const token = await csrfToken(key, 'sign-out', 'sid');
    const flipped = `${token.slice(0, -2)}${token.at(-2) === 'A' ? 'B' : 'A'}${token.at(-1)}`;
    for (const bad of [undefined, null, '', 'x', token.slice(1), `${token}A`, flipped, ['x'], token.toUpperCase()]) {
      expect(await verifyCsrfToken(key, 'sign-out', 'sid', bad), String(bad)).toBe(false);
    }
  });

  it('cannot be made to collide through the binding', async () => {
    // ("sign-in", "a|b") must not equal a token for another split of the same characters.
    const a = await csrfToken(key, 'sign-in', 'x|consent');
    expect(await verifyCsrfToken(key, 'consent', 'x', a)).toBe(false);
  });
});

describe('form origin checks', () => {
  const mine = 'https://auth.example.com';
  it('accept same-origin posts and browsers that send neither header', () => {
    expect(checkFormOrigin({ origin: mine, secFetchSite: 'same-origin' }, mine)).toBe('ok');
    expect(checkFormOrigin({ origin: null, secFetchSite: null }, mine)).toBe('ok');
    expect(checkFormOrigin({ origin: mine, secFetchSite: null }, mine)).toBe('ok');
    // What Chromium sends for a same-origin form post from a page with Referrer-Policy: no-referrer.
    expect(checkFormOrigin({ origin: 'null', secFetchSite: 'same-origin' }, mine)).toBe('ok');
    expect(checkFormOrigin({ origin: 'null', secFetchSite: 'cross-site' }, mine)).toBe('cross-site');
  });

  it('refuse cross-site, same-site siblings, null and foreign origins', () => {
    expect(checkFormOrigin({ origin: 'https://evil.example', secFetchSite: 'cross-site' }, mine)).toBe('cross-site');
    expect(checkFormOrigin({ origin: 'https://app.example.com', secFetchSite: 'same-site' }, mine)).toBe('cross-site');
    expect(checkFormOrigin({ origin: null, secFetchSite: 'none' }, mine)).toBe('cross-site');
    expect(checkFormOrigin({ origin: 'null', secFetchSite: null }, mine)).toBe('wrong-origin');
    expect(checkFormOrigin({ origin: 'https://auth.example.com.evil.example', secFetchSite: null }, mine)).toBe(
      'wrong-origin',
    );
    expect(checkFormOrigin({ origin: 'http://auth.example.com', secFetchSite: null }, mine)).toBe('wrong-origin');
  });
});

describe('device cookies', () => {
  it('identify a device for the account they were issued for only', async () => {
    const cookie = await issueDeviceCookie(key, 'jane@example.com');
    const id = await readDeviceCookie(key, 'jane@example.com', cookie);
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(await readDeviceCookie(key, 'john@example.com', cookie)).toBeUndefined();
    expect(await readDeviceCookie(otherKey, 'jane@example.com', cookie)).toBeUndefined();
  });

  it('cannot be forged or moved to another device id', async () => {
    const cookie = await issueDeviceCookie(key, 'jane@example.com');
    const [, , tag] = cookie.split('.');
    const forged = `v1.AAAAAAAAAAAAAAAAAAAAAA.${tag}`;
    for (const bad of [forged, cookie.replace('v1.', 'v2.'), `${cookie}x`, '', 'v1..', undefined]) {
      expect(await readDeviceCookie(key, 'jane@example.com', bad), String(bad)).toBeUndefined();
    }
    expect(await issueDeviceCookie(key, 'jane@example.com')).not.toBe(cookie);
  });
});

describe('sign-in throttling', () => {
  const now = 10_000;

  it('names the counters and keeps emails out of the keys', async () => {
    const keys = await throttleKeys({ accountKey: 'jane@example.com', ip: '2001:db8:1:2:3:4:5:6' });
    expect(keys.account).toMatch(/^login:acct:[A-Za-z0-9_-]{32}$/);
    expect(keys.address).toBe('login:ip:2001:db8:1:2::/64');
    expect(keys.accountAddress).toBe(`${keys.account.replace('acct', 'acct-ip')}:2001:db8:1:2::/64`);
    expect(JSON.stringify(keys)).not.toContain('jane');
    expect(keys.device).toBeUndefined();
    const other = await throttleKeys({ accountKey: 'jane@example.com', ip: '2001:db8:1:2:ffff::1' });
    expect(other.address).toBe(keys.address); // rotating within a /64 does not buy a fresh counter
    const trusted = await throttleKeys({ accountKey: 'jane@example.com', ip: '203.0.113.9', deviceId: 'dev1' });
    expect(trusted.device).toBe('login:dev:dev1');
  });

  it('grows the wait exponentially after the free failures, up to a ceiling', () => {
    const rule = DEFAULT_THROTTLE_POLICY.accountAddress;
    expect([5, 6, 7, 8, 9].map((n) => delayAfter(n, rule))).toEqual([0, 1, 2, 4, 8]);
    expect(delayAfter(40, rule)).toBe(900);
    expect(delayAfter(1_000_000, rule)).toBe(900);
  });

  it('refuses untrusted attempts while any of their counters asks for a wait', async () => {
    const keys = await throttleKeys({ accountKey: 'jane@example.com', ip: '203.0.113.9' });
    expect(decideLoginAttempt(keys, {}, now)).toEqual({ allowed: true });
    expect(decideLoginAttempt(keys, { accountAddress: { failures: 5, lastFailureAt: now } }, now)).toEqual({
      allowed: true,
    });
    expect(decideLoginAttempt(keys, { accountAddress: { failures: 8, lastFailureAt: now - 1 } }, now)).toEqual({
      allowed: false,
      retryAfterSeconds: 3,
      limitedBy: 'accountAddress',
    });
    // Distributed guessing: every address fresh, the account-wide counter stops it.
    expect(decideLoginAttempt(keys, { account: { failures: 30, lastFailureAt: now } }, now)).toMatchObject({
      allowed: false,
      limitedBy: 'account',
    });
    // Spraying: many accounts from one address.
    expect(decideLoginAttempt(keys, { address: { failures: 150, lastFailureAt: now } }, now)).toMatchObject({
      allowed: false,
      limitedBy: 'address',
    });
    // The longest wait wins.
    expect(
      decideLoginAttempt(
        keys,
        { accountAddress: { failures: 7, lastFailureAt: now }, account: { failures: 30, lastFailureAt: now } },
        now,
      ),
    ).toMatchObject({ limitedBy: 'account', retryAfterSeconds: 900 });
    // Counters are forgotten after their window.
    expect(decideLoginAttempt(keys, { accountAddress: { failures: 50, lastFailureAt: now - 3600 } }, now)).toEqual({
      allowed: true,
    });
  });

  it('keeps the owner’s browser signing in while a stranger has exhausted the account', async () => {
    const stranger = await throttleKeys({ accountKey: 'jane@example.com', ip: '198.51.100.7' });
    const owner = await throttleKeys({ accountKey: 'jane@example.com', ip: '198.51.100.7', deviceId: 'owner-device' });
    const exhausted = {
      account: { failures: 10_000, lastFailureAt: now },
      accountAddress: { failures: 10_000, lastFailureAt: now },
      address: { failures: 10_000, lastFailureAt: now },
    };
    expect(decideLoginAttempt(stranger, exhausted, now).allowed).toBe(false);
    expect(decideLoginAttempt(owner, exhausted, now)).toEqual({ allowed: true });
    // The device has its own budget: a stolen laptop still cannot guess fast.
    expect(
      decideLoginAttempt(owner, { ...exhausted, device: { failures: 15, lastFailureAt: now } }, now),
    ).toMatchObject({
      allowed: false,
      limitedBy: 'device',
    });
    expect(countersFor(owner)).toEqual(['device']);
    expect(keysToCharge(owner)).toEqual(['login:dev:owner-device']);
    expect(keysToCharge(stranger)).toEqual([stranger.accountAddress, stranger.account, stranger.address]);
  });

  it('clears only the browser’s own counter on success', async () => {
    const stranger = await throttleKeys({ accountKey: 'jane@example.com', ip: '198.51.100.7' });
    expect(keysToClear(stranger)).toEqual([stranger.accountAddress]);
    const owner = await throttleKeys({ accountKey: 'jane@example.com', ip: '198.51.100.7', deviceId: 'd' });
    expect(keysToClear(owner)).toEqual(['login:dev:d']);
  });

  it('words its messages without saying whether the account exists', () => {
    expect(SIGN_IN_FAILED).toBe('The email address or password is incorrect.');
    expect(signInThrottledMessage(5)).toBe('Too many sign-in attempts. Try again in 5 seconds.');
    expect(signInThrottledMessage(61)).toBe('Too many sign-in attempts. Try again in 2 minutes.');
    expect(signInThrottledMessage(60)).toBe('Too many sign-in attempts. Try again in 1 minute.');
  });
});

describe('consent', () => {
  const base = {
    firstParty: false,
    requestedScopes: ['openid', 'email'],
    grantedScopes: [] as string[],
    prompt: [] as const,
  };

  it('skips consent for first-party clients unless prompt=consent', () => {
    expect(decideConsent({ ...base, firstParty: true })).toEqual({ action: 'skip' });
    expect(decideConsent({ ...base, firstParty: true, prompt: ['consent'] }).action).toBe('ask');
  });

  it('asks third-party clients for what was not granted before', () => {
    expect(decideConsent(base)).toEqual({ action: 'ask', scopes: ['openid', 'email'], newScopes: ['openid', 'email'] });
    expect(decideConsent({ ...base, grantedScopes: ['openid', 'email', 'profile'] })).toEqual({ action: 'skip' });
    expect(
      decideConsent({
        ...base,
        requestedScopes: ['openid', 'email', 'offline_access'],
        grantedScopes: ['openid', 'email'],
      }),
    ).toEqual({
      action: 'ask',
      scopes: ['openid', 'email', 'offline_access'],
      newScopes: ['offline_access'],
    });
    expect(decideConsent({ ...base, grantedScopes: ['openid', 'email'], prompt: ['consent'] }).action).toBe('ask');
  });

  it('answers consent_required under prompt=none', () => {
    expect(decideConsent({ ...base, prompt: ['none'] })).toMatchObject({ action: 'error', error: 'consent_required' });
    expect(decideConsent({ ...base, grantedScopes: ['openid', 'email'], prompt: ['none'] })).toEqual({
      action: 'skip',
    });
  });

  it('remembers the union and describes scopes in words', () => {
    expect(mergeGrant(['openid'], ['openid', 'email'])).toEqual(['openid', 'email']);
    expect(describeScope('email')).toBe('See your email address');
    expect(describeScope('read', { read: 'Read your documents' })).toBe('Read your documents');
    expect(describeScope('write')).toBe('Use the "write" permission');
  });
});
