import { describe, expect, it } from 'vitest';
import {
  currentSigner,
  decryptPrivateKey,
  encryptPrivateKey,
  generateSigningKey,
  isPublished,
  jwkThumbprint,
  type KeyRecord,
  planRotation,
  type RotationSettings,
  ACTIVATION_BACKDATE_MS,
  SigningKeyError,
} from '../src/keys/domain/signing-keys.js';

describe('jwkThumbprint (RFC 7638)', () => {
  it('matches the RFC 7638 §3.1 example', async () => {
    const jwk = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    };
    expect(await jwkThumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it('ignores non-required members and rejects incomplete keys', async () => {
    const key = await generateSigningKey('ES256');
    expect(await jwkThumbprint({ ...key.publicJwk, use: 'enc', alg: 'X' })).toBe(key.kid);
    await expect(jwkThumbprint({ kty: 'EC', crv: 'P-256', x: 'abc' })).rejects.toBeInstanceOf(SigningKeyError);
    await expect(jwkThumbprint({ kty: 'oct', k: 'abc' })).rejects.toBeInstanceOf(SigningKeyError);
  });
});

describe('generateSigningKey', () => {
  it('publishes only public members, with kid = thumbprint', async () => {
    const es = await generateSigningKey('ES256');
    expect(Object.keys(es.publicJwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    expect(es.publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: es.kid });
    expect(es.privateJwk.d).toBeTypeOf('string');
    const ed = await generateSigningKey('EdDSA');
    expect(Object.keys(ed.publicJwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    expect(ed.publicJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
    expect(ed.kid).toBe(await jwkThumbprint(ed.publicJwk));
  });
});

describe('private key encryption (AES-256-GCM under the KEK)', () => {
  const kek = crypto.getRandomValues(new Uint8Array(32));

  it('round-trips, with a fresh IV every time', async () => {
    const key = await generateSigningKey('ES256');
    const a = await encryptPrivateKey(key.privateJwk, kek, key.kid);
    const b = await encryptPrivateKey(key.privateJwk, kek, key.kid);
    expect(a).not.toBe(b);
    expect(a.startsWith('v1.')).toBe(true);
    expect(a).not.toContain(String(key.privateJwk.d));
    expect(await decryptPrivateKey(a, kek, key.kid)).toEqual(key.privateJwk);
  });

  it('fails under another KEK, another kid (AAD) or a modified ciphertext', async () => {
    const key = await generateSigningKey('ES256');
    const stored = await encryptPrivateKey(key.privateJwk, kek, key.kid);
    const other = crypto.getRandomValues(new Uint8Array(32));
    await expect(decryptPrivateKey(stored, other, key.kid)).rejects.toMatchObject({
      code: 'ERR_KEY_DECRYPTION_FAILED',
    });
    await expect(decryptPrivateKey(stored, kek, 'another-kid')).rejects.toMatchObject({
      code: 'ERR_KEY_DECRYPTION_FAILED',
    });
    const [v, iv, ct] = stored.split('.') as [string, string, string];
    const flipped = `${v}.${iv}.${ct.slice(0, 10)}${ct[10] === 'A' ? 'B' : 'A'}${ct.slice(11)}`;
    await expect(decryptPrivateKey(flipped, kek, key.kid)).rejects.toMatchObject({ code: 'ERR_KEY_DECRYPTION_FAILED' });
    await expect(decryptPrivateKey('v2.a.b', kek, key.kid)).rejects.toMatchObject({ code: 'ERR_KEY_FORMAT' });
  });
});

describe('planRotation', () => {
  const H = 3_600_000;
  const settings: RotationSettings = { rotationIntervalMs: 30 * 24 * H, publishLeadMs: 24 * H, retentionMs: 2 * H };
  const key = (
    kid: string,
    status: KeyRecord['status'],
    activatesAt: number,
    expiresAt: number | null = null,
  ): KeyRecord => ({
    kid,
    alg: 'ES256',
    status,
    activatesAt,
    retiredAt: status === 'retired' ? activatesAt : null,
    expiresAt,
  });
  const T0 = 1_700_000_000_000;

  it('creates the first key, active at once (dated back to tolerate clock skew)', () => {
    expect(planRotation([], T0, settings)).toEqual({
      create: { activatesAt: T0 - ACTIVATION_BACKDATE_MS, status: 'active' },
      update: [],
      delete: [],
    });
  });

  it('does not create a second first key when the first one was made by a clock slightly ahead', () => {
    // Another isolate created the first key at T0 (dated back); this one plans with a clock 5 s behind.
    const first = key('a', 'active', T0 - ACTIVATION_BACKDATE_MS);
    expect(planRotation([first], T0 - 5000, settings)).toEqual({ create: null, update: [], delete: [] });
  });

  it('does nothing while the active key is not due (idempotent maintenance)', () => {
    const plan = planRotation([key('a', 'active', T0)], T0 + 10 * 24 * H, settings);
    expect(plan).toEqual({ create: null, update: [], delete: [] });
  });

  it('publishes the next key the lead time before the planned end', () => {
    const end = T0 + settings.rotationIntervalMs;
    const plan = planRotation([key('a', 'active', T0)], end - settings.publishLeadMs, settings);
    expect(plan.create).toEqual({ activatesAt: end, status: 'pending' });
    expect(plan.update).toEqual([]);
  });

  it('still honours the lead when maintenance runs late', () => {
    const late = T0 + settings.rotationIntervalMs + 5 * H;
    const plan = planRotation([key('a', 'active', T0)], late, settings);
    expect(plan.create).toEqual({ activatesAt: late + settings.publishLeadMs, status: 'pending' });
  });

  it('promotes the pending key once its time came and retires the old one with retention', () => {
    const t = T0 + settings.rotationIntervalMs + 1;
    const plan = planRotation(
      [key('a', 'active', T0), key('b', 'pending', T0 + settings.rotationIntervalMs)],
      t,
      settings,
    );
    expect(plan.create).toBeNull();
    expect(plan.update).toEqual([
      { kid: 'a', status: 'retired', retiredAt: t, expiresAt: t + settings.retentionMs },
      { kid: 'b', status: 'active' },
    ]);
  });

  it('deletes retired keys once expired, and only then', () => {
    const keys = [key('a', 'active', T0), key('old', 'retired', T0 - H, T0 + H)];
    expect(planRotation(keys, T0 + H - 1, settings).delete).toEqual([]);
    expect(planRotation(keys, T0 + H, settings).delete).toEqual(['old']);
  });

  it('on demand: a pending key signing after the lead, and no second one', () => {
    const t = T0 + H;
    const plan = planRotation([key('a', 'active', T0)], t, settings, { force: true });
    expect(plan.create).toEqual({ activatesAt: t + settings.publishLeadMs, status: 'pending' });
    const again = planRotation(
      [key('a', 'active', T0), key('b', 'pending', t + settings.publishLeadMs)],
      t + 1,
      settings,
      {
        force: true,
      },
    );
    expect(again.create).toBeNull();
  });

  it('on demand with no lead: the new key signs now and the old one retires', () => {
    const t = T0 + H;
    const plan = planRotation([key('a', 'active', T0)], t, { ...settings, publishLeadMs: 0 }, { force: true });
    expect(plan.create).toEqual({ activatesAt: t - ACTIVATION_BACKDATE_MS, status: 'active' });
    expect(plan.update).toEqual([{ kid: 'a', status: 'retired', retiredAt: t, expiresAt: t + settings.retentionMs }]);
  });

  it('immediate (compromise): new active key, every old one revoked at once, unused pending dropped', () => {
    const t = T0 + H;
    const retired = key('r', 'retired', T0 - H, t + H);
    const plan = planRotation([key('a', 'active', T0), key('b', 'pending', t + H), retired], t, settings, {
      immediate: true,
    });
    expect(plan.create).toEqual({ activatesAt: t - ACTIVATION_BACKDATE_MS, status: 'active' });
    expect(plan.update).toEqual([
      { kid: 'a', status: 'revoked', retiredAt: t, expiresAt: t },
      // A retired key still published for its tokens is distrusted too: it came from the same store.
      { kid: 'r', status: 'revoked', retiredAt: retired.retiredAt, expiresAt: t },
    ]);
    expect(plan.delete).toEqual(['b']);
  });

  it('revoked keys are never published, never sign, and are kept (not deleted) by maintenance', () => {
    const t = T0 + H;
    const revoked = { ...key('x', 'active', T0), status: 'revoked' as const, retiredAt: t, expiresAt: t };
    const fresh = key('n', 'active', t - ACTIVATION_BACKDATE_MS);
    expect(isPublished(revoked, t - 1)).toBe(false);
    expect(currentSigner([revoked], t)).toBeUndefined();
    const later = planRotation([revoked, fresh], t + 10 * H, settings);
    expect(later.delete).toEqual([]);
    expect(later.update.some((u) => u.kid === 'x')).toBe(false);
    // A second emergency rotation leaves an already revoked key alone.
    const again = planRotation([revoked, fresh], t + H, settings, { immediate: true });
    expect(again.update.map((u) => u.kid)).toEqual(['n']);
  });

  it('picks the signer by time and publishes retired keys until they expire', () => {
    const keys = [key('a', 'active', T0), key('b', 'pending', T0 + H), key('r', 'retired', T0 - H, T0 + 2 * H)];
    expect(currentSigner(keys, T0 + 1)?.kid).toBe('a');
    expect(currentSigner(keys, T0 + H)?.kid).toBe('b');
    expect(currentSigner(keys, T0 - 1)).toBeUndefined();
    expect(keys.filter((k) => isPublished(k, T0 + 1)).map((k) => k.kid)).toEqual(['a', 'b', 'r']);
    expect(keys.filter((k) => isPublished(k, T0 + 2 * H)).map((k) => k.kid)).toEqual(['a', 'b']);
  });
});
