import { describe, expect, it } from 'vitest';
import {
  base64url,
  base64urlByTable,
  base64urlDecode,
  hashSecret,
  randomToken,
  timingSafeEqualStrings,
  timingSafeEqualToSecret,
} from '../crypto.js';

describe('crypto helpers', () => {
  it('compares strings in constant time and gets the answer right', async () => {
    expect(await timingSafeEqualStrings('secret', 'secret')).toBe(true);
    expect(await timingSafeEqualStrings('secret', 'secreT')).toBe(false);
    expect(await timingSafeEqualStrings('secret', 'secret-longer')).toBe(false);
    expect(await timingSafeEqualStrings('', '')).toBe(true);
  });

  it("compares a presented value with a secret over the secret's length, and rejects every near miss", () => {
    const secret = 's3cret-token';
    expect(timingSafeEqualToSecret('s3cret-token', secret)).toBe(true);
    for (const presented of ['s3cret-tokeN', 's3cret-toke', 's3cret-token!', '', 'S3cret-token']) {
      expect(timingSafeEqualToSecret(presented, secret), presented).toBe(false);
    }
    // A missing code unit reads as 0, so a secret ending in NUL must still not match the value without it.
    expect(timingSafeEqualToSecret('ab', 'ab\0')).toBe(false);
    expect(timingSafeEqualToSecret('ab\0', 'ab\0')).toBe(true);
    expect(timingSafeEqualToSecret('', '')).toBe(true);
    // Beyond ASCII: compared unit by unit, so only the identical string matches.
    expect(timingSafeEqualToSecret('clé-😀', 'clé-😀')).toBe(true);
    expect(timingSafeEqualToSecret('cle-😀', 'clé-😀')).toBe(false);
    expect(timingSafeEqualToSecret('clé-😁', 'clé-😀')).toBe(false);
  });

  it('makes 256-bit random tokens that are base64url', () => {
    const a = randomToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(base64urlDecode(a).byteLength).toBe(32);
    expect(randomToken()).not.toBe(a);
  });

  it('round-trips base64url and hashes deterministically', async () => {
    const bytes = new Uint8Array([0, 251, 255, 1, 62, 63]);
    expect(base64urlDecode(base64url(bytes))).toEqual(bytes);
    // SHA-256("abc"), RFC 6234 test vector.
    expect(await hashSecret('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });

  it('encodes base64url exactly as RFC 4648 §5 without padding, for every tail length', () => {
    const reference = (b: Uint8Array) =>
      btoa(String.fromCharCode(...b))
        .replace(/\+/g, '-')
        .replace(/\//g, '_')
        .replace(/=+$/, '');
    for (let n = 0; n <= 67; n++) {
      const bytes = crypto.getRandomValues(new Uint8Array(n));
      expect(base64url(bytes)).toBe(reference(bytes));
      expect(base64urlByTable(bytes)).toBe(reference(bytes));
      expect(base64urlDecode(base64url(bytes))).toEqual(bytes);
    }
    expect(base64url(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe('-_-_');
    expect(base64urlByTable(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe('-_-_');
  });

  it("encodes only a view's own bytes", () => {
    const buffer = new Uint8Array([0xff, 0xfb, 0xff, 0xbf, 0xff]);
    expect(base64url(buffer.subarray(1, 4))).toBe('-_-_');
    expect(base64urlByTable(buffer.subarray(1, 4))).toBe('-_-_');
  });

  // base64url takes the runtime's encoder wherever it exists; this pins that workerd, where Workers run, has it
  // (Node 20 has not, and falls back to base64urlByTable, tested above).
  it('runs where workerd provides Uint8Array.prototype.toBase64', () => {
    expect(typeof (Uint8Array.prototype as { toBase64?: unknown }).toBase64).toBe('function');
  });
});
