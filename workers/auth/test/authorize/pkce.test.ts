import * as oauth from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import {
  checkPkceRequest,
  isCodeVerifier,
  isS256Challenge,
  s256Challenge,
  verifyPkce,
} from '../../src/authorize/domain/pkce.js';

const RFC_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const RFC_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('PKCE', () => {
  it('computes the RFC 7636 Appendix B challenge and verifies it', async () => {
    expect(await s256Challenge(RFC_VERIFIER)).toBe(RFC_CHALLENGE);
    expect(await verifyPkce(RFC_VERIFIER, RFC_CHALLENGE)).toBe(true);
  });

  it('agrees with a relying-party library on random verifiers', async () => {
    for (let i = 0; i < 20; i++) {
      const verifier = oauth.generateRandomCodeVerifier();
      const challenge = await oauth.calculatePKCECodeChallenge(verifier);
      expect(isS256Challenge(challenge)).toBe(true);
      expect(checkPkceRequest(challenge, 'S256')).toBeUndefined();
      expect(await verifyPkce(verifier, challenge)).toBe(true);
      expect(await verifyPkce(oauth.generateRandomCodeVerifier(), challenge)).toBe(false);
    }
  });

  it('refuses plain, a missing method and a missing challenge', () => {
    expect(checkPkceRequest(RFC_CHALLENGE, 'plain')).toBe('method_not_supported');
    expect(checkPkceRequest(RFC_CHALLENGE, 's256')).toBe('method_not_supported');
    expect(checkPkceRequest(RFC_CHALLENGE, undefined)).toBe('method_missing');
    expect(checkPkceRequest(RFC_CHALLENGE, '')).toBe('method_missing');
    expect(checkPkceRequest(undefined, 'S256')).toBe('challenge_missing');
    expect(checkPkceRequest('', 'S256')).toBe('challenge_missing');
  });

  it('refuses challenges no verifier can produce', () => {
    for (const bad of [
      RFC_VERIFIER.slice(0, 42), // too short
      `${RFC_CHALLENGE}A`, // too long
      `${RFC_CHALLENGE}=`, // padded
      RFC_CHALLENGE.replace('-', '+'), // standard base64
      `${RFC_CHALLENGE.slice(0, 42)}N`, // last character with non-zero padding bits
      RFC_VERIFIER.repeat(2),
    ]) {
      expect(isS256Challenge(bad), bad).toBe(false);
      expect(checkPkceRequest(bad, 'S256'), bad).toBe('challenge_invalid');
    }
  });

  it('checks verifier syntax before hashing (43 to 128 unreserved characters)', async () => {
    expect(isCodeVerifier('a'.repeat(43))).toBe(true);
    expect(isCodeVerifier('a'.repeat(128))).toBe(true);
    expect(isCodeVerifier('a'.repeat(42))).toBe(false);
    expect(isCodeVerifier('a'.repeat(129))).toBe(false);
    expect(isCodeVerifier(`${'a'.repeat(42)}~`)).toBe(true);
    for (const c of ['+', '/', '=', ' ', '%', 'é', '\n']) expect(isCodeVerifier(`${'a'.repeat(43)}${c}`)).toBe(false);
    // A "verifier" equal to the challenge (what a plain-method attacker would send) does not verify.
    expect(await verifyPkce(RFC_CHALLENGE, RFC_CHALLENGE)).toBe(false);
    // A challenge-shaped value that hashes right but is outside the verifier syntax is refused.
    const shortVerifier = 'abc';
    expect(await verifyPkce(shortVerifier, await s256Challenge(shortVerifier))).toBe(false);
    expect(await verifyPkce(undefined, RFC_CHALLENGE)).toBe(false);
    expect(await verifyPkce(['x'], RFC_CHALLENGE)).toBe(false);
  });
});
