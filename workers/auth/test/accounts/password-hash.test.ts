import { describe, expect, it } from 'vitest';
import {
  CURRENT_SCRYPT_PARAMS,
  hashPassword,
  type Kdf,
  needsRehash,
  PasswordHashError,
  parsePasswordHash,
  type ScryptParams,
  scryptKdf,
  verifyPassword,
} from '../../src/accounts/domain/password-hash.js';

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const utf8 = (s: string) => new TextEncoder().encode(s);

/** A kdf that records its calls and delegates to the real one with cheap parameters. */
function recordingKdf(answer?: Uint8Array) {
  const calls: { params: ScryptParams; keyBytes: number; password: Uint8Array }[] = [];
  const kdf: Kdf = async (password, salt, params, keyBytes) => {
    calls.push({ params, keyBytes, password });
    return answer ?? scryptKdf(password, salt, { ln: 10, r: 8, p: 1 }, keyBytes);
  };
  return { kdf, calls };
}

describe('password hashing (scrypt)', () => {
  it('derives the RFC 7914 §12 test vector inside workerd', async () => {
    const key = await scryptKdf(utf8('pleaseletmein'), utf8('SodiumChloride'), { ln: 14, r: 8, p: 1 }, 64);
    expect(hex(key)).toBe(
      '7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887',
    );
  });

  it('stores the parameters with the hash and verifies with the real cost', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(stored).toMatch(/^\$scrypt\$ln=14,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verifyPassword('correct horse battery staple', stored)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', stored)).toBe(false);
    expect(await verifyPassword('Correct horse battery staple', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('salts every hash', async () => {
    const { kdf } = recordingKdf();
    const a = await hashPassword('same password', { kdf });
    const b = await hashPassword('same password', { kdf });
    expect(a).not.toBe(b);
    expect(parsePasswordHash(a).salt).not.toEqual(parsePasswordHash(b).salt);
  });

  it('normalises to NFKC, so canonically equivalent input verifies', async () => {
    const { kdf } = recordingKdf();
    const stored = await hashPassword('caf\u00e9 cr\u00e8me br\u00fbl\u00e9e', { kdf });
    expect(await verifyPassword('cafe\u0301 cre\u0300me bru\u0302le\u0301e', stored, { kdf })).toBe(true);
    const wide = await hashPassword('\uff50\uff41\uff53\uff53\uff57\uff4f\uff52\uff44-long', { kdf });
    expect(await verifyPassword('password-long', wide, { kdf })).toBe(true);
  });

  it('does the same work for an unknown account and answers false', async () => {
    const { kdf, calls } = recordingKdf();
    const stored = await hashPassword('hunter2hunter2', { kdf });
    calls.length = 0;
    await verifyPassword('hunter2hunter2', stored, { kdf });
    await verifyPassword('hunter2hunter2', undefined, { kdf });
    expect(calls).toHaveLength(2);
    expect(calls[1]!.params).toEqual(calls[0]!.params);
    expect(calls[1]!.params).toEqual(CURRENT_SCRYPT_PARAMS);
    expect(calls[1]!.keyBytes).toBe(calls[0]!.keyBytes);
  });

  it('never says yes for an unknown account, whatever the derivation returns', async () => {
    // Even a kdf that reproduces the dummy key exactly must not turn "no account" into a success.
    const dummyKey = new Uint8Array(32).fill(0xa5);
    const { kdf } = recordingKdf(dummyKey);
    expect(await verifyPassword('anything', undefined, { kdf })).toBe(false);
  });

  it('refuses over-long input after doing the same work', async () => {
    const { kdf, calls } = recordingKdf();
    const stored = await hashPassword('a'.repeat(1024), { kdf });
    calls.length = 0;
    expect(await verifyPassword('a'.repeat(1025), stored, { kdf })).toBe(false);
    expect(calls).toHaveLength(1);
    await expect(hashPassword('a'.repeat(1025), { kdf })).rejects.toThrow(PasswordHashError);
  });

  it('rejects stored values that are not bounded scrypt PHC strings', async () => {
    const { kdf } = recordingKdf();
    const good = await hashPassword('x'.repeat(12), { kdf });
    const [, , , salt, key] = good.split('$');
    const bad = [
      '',
      'plaintext',
      `$scrypt$ln=16,r=8,p=1$${salt}$${key}`, // 64 MiB: more than an isolate gives one verification
      `$scrypt$ln=30,r=8,p=1$${salt}$${key}`,
      `$scrypt$ln=9,r=8,p=1$${salt}$${key}`, // weaker than the floor
      `$scrypt$ln=14,r=0,p=1$${salt}$${key}`,
      `$scrypt$ln=15,r=16,p=1$${salt}$${key}`, // 64 MiB through r
      `$scrypt$ln=14,r=8,p=9$${salt}$${key}`,
      `$scrypt$ln=14,r=8,p=1$${salt}=$${key}`,
      `$scrypt$ln=14,r=8,p=1$${salt}$${key}$`,
      `$scrypt$ln=14,r=8,p=1$AAAA$${key}`, // 3-byte salt
      `$pbkdf2-sha256$600000$${salt}$${key}`,
      `$argon2id$v=19$m=65536,t=3,p=4$${salt}$${key}`,
    ];
    for (const stored of bad) {
      expect(() => parsePasswordHash(stored), stored).toThrow(PasswordHashError);
      await expect(verifyPassword('x'.repeat(12), stored, { kdf }), stored).rejects.toThrow(PasswordHashError);
    }
  });

  it('asks for a re-hash when the parameters change', async () => {
    const { kdf } = recordingKdf();
    const stored = await hashPassword('rehash me please', { kdf, params: { ln: 12, r: 8, p: 1 } });
    expect(stored.startsWith('$scrypt$ln=12,r=8,p=1$')).toBe(true);
    expect(needsRehash(stored)).toBe(true);
    expect(needsRehash(stored, { ln: 12, r: 8, p: 1 })).toBe(false);
    expect(needsRehash(stored, { ln: 12, r: 8, p: 2 })).toBe(true);
    expect(needsRehash(await hashPassword('rehash me please', { kdf }))).toBe(false);
  });

  it('refuses to hash with parameters outside the bounds', async () => {
    await expect(hashPassword('pw pw pw pw', { params: { ln: 16, r: 8, p: 1 } })).rejects.toThrow(PasswordHashError);
  });
});
