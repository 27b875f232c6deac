import { describe, expect, it } from 'vitest';
import { base64url } from '../../../shared/crypto.js';
import {
  type AccessTokenClaims,
  AccessTokenError,
  type SigningAlg,
  signAccessToken,
  type VerificationKey,
  verifyAccessToken,
} from '../src/tokens/domain/access-token.js';
import { generateSigningKey, importSigningKey, importVerificationKey } from '../src/keys/domain/signing-keys.js';

const ISSUER = 'https://auth.example.com';
const NOW = 1_800_000_000;
const enc = (v: unknown) => base64url(new TextEncoder().encode(JSON.stringify(v)));

async function keyPair(alg: SigningAlg) {
  const generated = await generateSigningKey(alg);
  const signing = { kid: generated.kid, alg, privateKey: await importSigningKey(generated.privateJwk, alg) };
  const verification: VerificationKey = {
    kid: generated.kid,
    alg,
    publicKey: await importVerificationKey(generated.publicJwk, alg),
  };
  return { signing, verification };
}

function claims(overrides: Partial<AccessTokenClaims> = {}): AccessTokenClaims {
  return {
    iss: ISSUER,
    sub: 'client-1',
    aud: 'https://api.example.com',
    exp: NOW + 600,
    iat: NOW,
    jti: 'jti-1',
    client_id: 'client-1',
    scope: 'read',
    ...overrides,
  };
}

async function expectCode(p: Promise<unknown>, code: string) {
  await expect(p).rejects.toBeInstanceOf(AccessTokenError);
  await expect(p).rejects.toMatchObject({ code });
}

describe.each(['ES256', 'EdDSA'] as const)('access tokens with %s', (alg) => {
  it('signs an RFC 9068 token that verifies and round-trips its claims', async () => {
    const { signing, verification } = await keyPair(alg);
    const token = await signAccessToken(claims(), signing);
    const header = JSON.parse(atob(token.split('.')[0]!.replace(/-/g, '+').replace(/_/g, '/')));
    expect(header).toEqual({ alg, typ: 'at+jwt', kid: signing.kid });
    const verified = await verifyAccessToken(token, {
      issuer: ISSUER,
      key: (k) => (k === signing.kid ? verification : undefined),
      now: NOW + 1,
    });
    expect(verified).toEqual(claims());
  });

  it('rejects a tampered payload and a tampered signature', async () => {
    const { signing, verification } = await keyPair(alg);
    const token = await signAccessToken(claims(), signing);
    const [h, , s] = token.split('.');
    const forged = `${h}.${enc(claims({ scope: 'read admin' }))}.${s}`;
    const key = () => verification;
    await expectCode(
      verifyAccessToken(forged, { issuer: ISSUER, key, now: NOW }),
      'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    );
    const flipped = token.slice(0, -2) + (token.endsWith('AA') ? 'BA' : 'AA');
    await expectCode(
      verifyAccessToken(flipped, { issuer: ISSUER, key, now: NOW }),
      'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    );
  });

  it('rejects a token signed by another key under the same kid', async () => {
    const a = await keyPair(alg);
    const b = await keyPair(alg);
    const token = await signAccessToken(claims(), { ...b.signing, kid: a.signing.kid });
    await expectCode(
      verifyAccessToken(token, { issuer: ISSUER, key: () => a.verification, now: NOW }),
      'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    );
  });

  it('rejects unknown kids, expired tokens and tokens from the future', async () => {
    const { signing, verification } = await keyPair(alg);
    const token = await signAccessToken(claims(), signing);
    await expectCode(
      verifyAccessToken(token, { issuer: ISSUER, key: () => undefined, now: NOW }),
      'ERR_JWKS_NO_MATCHING_KEY',
    );
    const key = () => verification;
    await expectCode(verifyAccessToken(token, { issuer: ISSUER, key, now: NOW + 600 }), 'ERR_JWT_EXPIRED');
    await expectCode(verifyAccessToken(token, { issuer: ISSUER, key, now: NOW + 5000 }), 'ERR_JWT_EXPIRED');
    await expectCode(verifyAccessToken(token, { issuer: ISSUER, key, now: NOW - 10 }), 'ERR_JWT_NOT_YET_VALID');
    expect(await verifyAccessToken(token, { issuer: ISSUER, key, now: NOW - 10, clockTolerance: 30 })).toBeTruthy();
  });

  it('rejects a token living longer than the server issues (a leaked key minting long tokens)', async () => {
    const { signing, verification } = await keyPair(alg);
    const key = () => verification;
    const boundary = await signAccessToken(claims({ exp: NOW + 3600 }), signing);
    expect(await verifyAccessToken(boundary, { issuer: ISSUER, key, now: NOW, maxLifetimeSeconds: 3600 })).toBeTruthy();
    const longer = await signAccessToken(claims({ exp: NOW + 3601 }), signing);
    await expectCode(
      verifyAccessToken(longer, { issuer: ISSUER, key, now: NOW, maxLifetimeSeconds: 3600 }),
      'ERR_JWT_CLAIM_INVALID',
    );
    // Without the bound (the option unset) the same token verifies: the check is the caller's setting.
    expect(await verifyAccessToken(longer, { issuer: ISSUER, key, now: NOW })).toBeTruthy();
  });

  it('rejects another issuer', async () => {
    const { signing, verification } = await keyPair(alg);
    const token = await signAccessToken(claims({ iss: 'https://evil.example.com' }), signing);
    await expectCode(
      verifyAccessToken(token, { issuer: ISSUER, key: () => verification, now: NOW }),
      'ERR_JWT_ISSUER_INVALID',
    );
  });
});

/** Signs arbitrary header+claims with a real key, to check the checks that come after the signature. */
async function signRaw(header: Record<string, unknown>, payload: unknown, privateKey: CryptoKey): Promise<string> {
  const input = `${enc(header)}.${enc(payload)}`;
  const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, new TextEncoder().encode(input));
  return `${input}.${base64url(new Uint8Array(sig))}`;
}

describe('verifyAccessToken refuses what this server never issues', () => {
  it('rejects alg "none" (with or without a signature)', async () => {
    const { verification } = await keyPair('ES256');
    const key = () => verification;
    const unsigned = `${enc({ alg: 'none', typ: 'at+jwt', kid: verification.kid })}.${enc(claims())}.`;
    await expectCode(verifyAccessToken(unsigned, { issuer: ISSUER, key, now: NOW }), 'ERR_JWT_MALFORMED');
    const withSig = `${unsigned}AAAA`;
    await expectCode(verifyAccessToken(withSig, { issuer: ISSUER, key, now: NOW }), 'ERR_JOSE_ALG_NOT_ALLOWED');
  });

  it('rejects HS256 signed with the public key (algorithm confusion)', async () => {
    const { verification } = await keyPair('ES256');
    const token = `${enc({ alg: 'HS256', typ: 'at+jwt', kid: verification.kid })}.${enc(claims())}.c2ln`;
    await expectCode(
      verifyAccessToken(token, { issuer: ISSUER, key: () => verification, now: NOW }),
      'ERR_JOSE_ALG_NOT_ALLOWED',
    );
  });

  it('rejects an alg that does not match the key', async () => {
    const es = await keyPair('ES256');
    const ed = await keyPair('EdDSA');
    const token = await signAccessToken(claims(), ed.signing);
    await expectCode(
      verifyAccessToken(token, { issuer: ISSUER, key: () => es.verification, now: NOW }),
      'ERR_JOSE_ALG_NOT_ALLOWED',
    );
  });

  it('rejects a wrong or missing typ, and crit', async () => {
    const { signing, verification } = await keyPair('ES256');
    const key = () => verification;
    for (const typ of ['JWT', undefined, 'id_token+jwt']) {
      const token = await signRaw({ alg: 'ES256', typ, kid: signing.kid }, claims(), signing.privateKey);
      await expectCode(verifyAccessToken(token, { issuer: ISSUER, key, now: NOW }), 'ERR_JWT_TYP_INVALID');
    }
    const full = await signRaw(
      { alg: 'ES256', typ: 'application/at+jwt', kid: signing.kid },
      claims(),
      signing.privateKey,
    );
    expect((await verifyAccessToken(full, { issuer: ISSUER, key, now: NOW })).jti).toBe('jti-1');
    const crit = await signRaw(
      { alg: 'ES256', typ: 'at+jwt', kid: signing.kid, crit: ['exp'] },
      claims(),
      signing.privateKey,
    );
    await expectCode(verifyAccessToken(crit, { issuer: ISSUER, key, now: NOW }), 'ERR_JOSE_CRIT_UNSUPPORTED');
  });

  it('rejects missing or malformed claims even when the signature is valid', async () => {
    const { signing, verification } = await keyPair('ES256');
    const key = () => verification;
    const header = { alg: 'ES256', typ: 'at+jwt', kid: signing.kid };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ exp: undefined }, 'ERR_JWT_CLAIM_INVALID'],
      [{ exp: '1900000000' }, 'ERR_JWT_CLAIM_INVALID'],
      [{ iat: undefined }, 'ERR_JWT_CLAIM_INVALID'],
      [{ jti: '' }, 'ERR_JWT_CLAIM_INVALID'],
      [{ client_id: undefined }, 'ERR_JWT_CLAIM_INVALID'],
      [{ sub: 42 }, 'ERR_JWT_CLAIM_INVALID'],
      [{ aud: [] }, 'ERR_JWT_CLAIM_INVALID'],
      [{ aud: ['ok', 7] }, 'ERR_JWT_CLAIM_INVALID'],
      [{ scope: ['read'] }, 'ERR_JWT_CLAIM_INVALID'],
      [{ rfid: '' }, 'ERR_JWT_CLAIM_INVALID'],
      [{ rfid: 7 }, 'ERR_JWT_CLAIM_INVALID'],
      [{ nbf: NOW + 100 }, 'ERR_JWT_NOT_YET_VALID'],
    ];
    for (const [patch, code] of cases) {
      const token = await signRaw(header, { ...claims(), ...patch }, signing.privateKey);
      await expectCode(verifyAccessToken(token, { issuer: ISSUER, key, now: NOW }), code);
    }
    const arrayPayload = await signRaw(header, [claims()], signing.privateKey);
    await expectCode(verifyAccessToken(arrayPayload, { issuer: ISSUER, key, now: NOW }), 'ERR_JWT_MALFORMED');
  });

  it('rejects structurally broken input', async () => {
    const { verification } = await keyPair('ES256');
    const key = () => verification;
    for (const token of [
      '',
      'abc',
      'a.b',
      'a.b.c.d',
      'a..c',
      '!!.b.c',
      'x'.repeat(9000),
      `${enc('str')}.${enc({})}.AAAA`,
    ]) {
      await expectCode(verifyAccessToken(token, { issuer: ISSUER, key, now: NOW }), 'ERR_JWT_MALFORMED');
    }
  });
});
