import * as OTPAuth from 'otpauth';
import { describe, expect, it } from 'vitest';
import { hashBackupCode, newBackupCodes, normalizeBackupCode } from '../../src/mfa/domain/backup-codes.js';
import { amrWithSecondFactor } from '../../src/mfa/domain/authentication-context.js';
import { secondFactorChallenges, totpReplay } from '../../src/mfa/domain/mfa-state.js';
import { recentlyVerified } from '../../src/mfa/domain/recent-authentication.js';
import { decideStepUp } from '../../src/mfa/domain/step-up.js';
import { openTotpSecret, sealTotpSecret } from '../../src/mfa/domain/secret-box.js';
import {
  base32Decode,
  base32Encode,
  hotp,
  matchTotp,
  newTotpSecret,
  otpauthUri,
  parseTotpCode,
  totpStep,
} from '../../src/mfa/domain/totp.js';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('TOTP (RFC 6238)', () => {
  // RFC 6238 Appendix B: 8 digits, T0 = 0, X = 30, one seed per hash.
  const seeds = {
    'SHA-1': ascii('12345678901234567890'),
    'SHA-256': ascii('12345678901234567890123456789012'),
    'SHA-512': ascii('1234567890123456789012345678901234567890123456789012345678901234'),
  } as const;
  const vectors: [number, string, keyof typeof seeds][] = [
    [59, '94287082', 'SHA-1'],
    [59, '46119246', 'SHA-256'],
    [59, '90693936', 'SHA-512'],
    [1111111109, '07081804', 'SHA-1'],
    [1111111109, '68084774', 'SHA-256'],
    [1111111109, '25091201', 'SHA-512'],
    [1111111111, '14050471', 'SHA-1'],
    [1111111111, '67062674', 'SHA-256'],
    [1111111111, '99943326', 'SHA-512'],
    [1234567890, '89005924', 'SHA-1'],
    [1234567890, '91819424', 'SHA-256'],
    [1234567890, '93441116', 'SHA-512'],
    [2000000000, '69279037', 'SHA-1'],
    [2000000000, '90698825', 'SHA-256'],
    [2000000000, '38618901', 'SHA-512'],
    [20000000000, '65353130', 'SHA-1'],
    [20000000000, '77737706', 'SHA-256'],
    [20000000000, '47863826', 'SHA-512'],
  ];
  it.each(vectors)('T=%i gives %s (%s)', async (time, code, hash) => {
    expect(await hotp(seeds[hash], totpStep(time), 8, hash)).toBe(code);
  });

  it('RFC 4226 Appendix D HOTP values', async () => {
    const expected = [
      '755224',
      '287082',
      '359152',
      '969429',
      '338314',
      '254676',
      '287922',
      '162583',
      '399871',
      '520489',
    ];
    for (let i = 0; i < expected.length; i++) expect(await hotp(seeds['SHA-1'], i)).toBe(expected[i]);
  });

  it('agrees with an independent implementation (otpauth) on random secrets', async () => {
    for (let i = 0; i < 20; i++) {
      const secret = newTotpSecret();
      const now = 1_700_000_000 + i * 7919;
      const theirs = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(base32Encode(secret)) });
      expect(await hotp(secret, totpStep(now))).toBe(theirs.generate({ timestamp: now * 1000 }));
    }
  });

  it('accepts the current step and one either side, answering which; nothing further', async () => {
    const secret = newTotpSecret();
    const now = 1_800_000_015;
    const step = totpStep(now);
    for (const d of [-1, 0, 1]) expect(await matchTotp(secret, await hotp(secret, step + d), now)).toBe(step + d);
    for (const d of [-3, -2, 2, 3]) expect(await matchTotp(secret, await hotp(secret, step + d), now)).toBeUndefined();
    expect(await matchTotp(secret, '12345', now)).toBeUndefined();
  });

  it('parses typed codes: six digits, spaces allowed, nothing else', () => {
    expect(parseTotpCode(' 123 456 ')).toBe('123456');
    expect(parseTotpCode('12345')).toBeUndefined();
    expect(parseTotpCode('12345a')).toBeUndefined();
    expect(parseTotpCode('１２３４５６')).toBeUndefined();
  });

  it('base32 round-trips and the otpauth:// URI is what otpauth itself parses', () => {
    const secret = newTotpSecret();
    expect(base32Decode(base32Encode(secret))).toEqual(secret);
    expect(base32Decode('not base32!')).toBeUndefined();
    const uri = otpauthUri({ issuer: 'Edge Security', account: 'jane@example.com', secret });
    const parsed = OTPAuth.URI.parse(uri) as OTPAuth.TOTP;
    expect(parsed.issuer).toBe('Edge Security');
    expect(parsed.label).toBe('jane@example.com');
    expect(parsed.secret.base32).toBe(base32Encode(secret));
    expect(parsed.digits).toBe(6);
    expect(parsed.period).toBe(30);
  });
});

describe('TOTP replay guard', () => {
  const accept = (doc: { lastStep: number } | undefined, step: number) => totpReplay.transitions.accept(doc, step);
  it('accepts each step once, and never an older one', () => {
    const first = accept(undefined, 100);
    expect(first.result).toBe(true);
    expect(accept(first.doc, 100).result).toBe(false);
    expect(accept(first.doc, 99).result).toBe(false);
    const next = accept(first.doc, 101);
    expect(next.result).toBe(true);
    expect(next.doc).toEqual({ lastStep: 101 });
  });
  it('is kept until the step has left every window', () => {
    expect(accept(undefined, 100).expiresAt).toBe(103 * 30_000);
  });
});

describe('second-factor challenge', () => {
  const now = 1_800_000_000_000;
  const ch = { txKey: 'tx-1', userId: 'u', amr: ['pwd'], expiresAt: now / 1000 + 300 };
  it('completes once, for its own transaction, before it expires', () => {
    expect(secondFactorChallenges.transitions.complete(ch, 'tx-2', now).result).toBeNull();
    expect(secondFactorChallenges.transitions.complete(ch, 'tx-1', now + 301_000).result).toBeNull();
    const done = secondFactorChallenges.transitions.complete(ch, 'tx-1', now);
    expect(done.result).toEqual(ch);
    expect(done.doc).toBeUndefined();
  });
});

describe('TOTP secrets at rest', () => {
  const kek = () =>
    crypto.subtle.importKey('raw', crypto.getRandomValues(new Uint8Array(32)), 'AES-GCM', false, [
      'encrypt',
      'decrypt',
    ]);
  it('round-trip under the KEK, bound to their user, and never in clear', async () => {
    const key = await kek();
    const secret = newTotpSecret();
    const sealed = await sealTotpSecret(key, 'user-a', secret);
    expect(sealed).not.toContain(base32Encode(secret));
    expect(await openTotpSecret(key, 'user-a', sealed)).toEqual(secret);
    await expect(openTotpSecret(key, 'user-b', sealed)).rejects.toMatchObject({
      code: 'ERR_MFA_SECRET_DECRYPTION_FAILED',
    });
    await expect(openTotpSecret(await kek(), 'user-a', sealed)).rejects.toMatchObject({
      code: 'ERR_MFA_SECRET_DECRYPTION_FAILED',
    });
    await expect(openTotpSecret(key, 'user-a', 'v0.x.y')).rejects.toMatchObject({ code: 'ERR_MFA_SECRET_FORMAT' });
  });
});

describe('backup codes', () => {
  it('are ten distinct codes, normalized however typed', () => {
    const codes = newBackupCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
    expect(normalizeBackupCode(` ${codes[0]!.toUpperCase().replace('-', ' ')} `)).toBe(codes[0]!.replace('-', ''));
    expect(normalizeBackupCode('abcde-fghi')).toBeUndefined();
    expect(normalizeBackupCode('11111-11111')).toBeUndefined();
  });
  it('hash under the key, per user, the same however typed', async () => {
    const key = await crypto.subtle.importKey('raw', new Uint8Array(32), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
    ]);
    const [code] = newBackupCodes(1);
    const h = await hashBackupCode(key, 'u1', code!);
    expect(h).not.toContain(code!.replace('-', ''));
    expect(await hashBackupCode(key, 'u1', code!.toUpperCase().replace('-', ''))).toBe(h);
    expect(await hashBackupCode(key, 'u2', code!)).not.toBe(h);
  });
});

describe('authentication context', () => {
  it('adds otp and mfa to the first factor', () => {
    expect(amrWithSecondFactor(['pwd'], 'totp')).toEqual(['pwd', 'otp', 'mfa']);
    expect(amrWithSecondFactor(['pwd'], 'backup-code')).toEqual(['pwd', 'otp', 'mfa']);
  });
  it('changing factors needs a recent second factor', () => {
    expect(recentlyVerified({ amr: ['pwd', 'otp', 'mfa'], authTime: 1000 }, 1000 + 900)).toBe(true);
    expect(recentlyVerified({ amr: ['pwd', 'otp', 'mfa'], authTime: 1000 }, 1000 + 901)).toBe(false);
    expect(recentlyVerified({ amr: ['pwd'], authTime: 1000 }, 1000)).toBe(false);
  });
});

describe('step-up', () => {
  const mfa = 'urn:edge-security:acr:mfa';
  const base = {
    acrValues: [] as string[],
    prompt: [] as string[],
    sessionAmr: ['pwd'],
    userHasFactor: true,
    policy: { asIs: true } as { asIs: boolean; withMfa?: boolean },
  };
  it('by acr_values: the second factor only when MFA is requested, missing and possible', () => {
    expect(decideStepUp({ ...base, acrValues: [mfa] })).toEqual({ action: 'second-factor' });
    expect(decideStepUp({ ...base, acrValues: [mfa], prompt: ['none'] })).toMatchObject({
      error: 'interaction_required',
    });
    expect(decideStepUp({ ...base, acrValues: [mfa], sessionAmr: ['pwd', 'otp', 'mfa'] })).toEqual({
      action: 'continue',
    });
    expect(decideStepUp({ ...base, acrValues: ['urn:other'] })).toEqual({ action: 'continue' });
    expect(decideStepUp({ ...base, acrValues: [mfa], userHasFactor: false })).toEqual({ action: 'continue' });
  });
  it('by policy: a Deny that MFA would turn into an Allow is a step-up; any other Deny refuses', () => {
    expect(decideStepUp({ ...base, policy: { asIs: false, withMfa: true } })).toEqual({ action: 'second-factor' });
    expect(decideStepUp({ ...base, policy: { asIs: false, withMfa: false } })).toMatchObject({
      error: 'access_denied',
    });
    expect(decideStepUp({ ...base, policy: { asIs: false, withMfa: true }, userHasFactor: false })).toMatchObject({
      error: 'access_denied',
    });
    expect(decideStepUp({ ...base, sessionAmr: ['pwd', 'otp', 'mfa'], policy: { asIs: false } })).toMatchObject({
      error: 'access_denied',
    });
    expect(decideStepUp({ ...base, policy: { asIs: false, withMfa: true }, prompt: ['none'] })).toMatchObject({
      error: 'interaction_required',
    });
  });
});
