// The auth Worker's second-factor verification alone, as a bare workerd Worker (bundled by bench/scenarios/mfa.mjs):
// /totp checks a TOTP code (mfa/domain/totp.ts: three HMAC-SHA-1, the current step ± 1), /passkey verifies one
// WebAuthn assertion with @simplewebauthn/server (ES256; the assertion is made once at start-up with a key of our
// own, as a platform authenticator would), /noop answers at once (the per-request overhead to subtract).
import { verifyAuthenticationResponse } from '@simplewebauthn/server';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import { base64url } from '../../shared/crypto.js';
import { hotp, matchTotp, totpStep } from '../../workers/auth/src/mfa/domain/totp.js';

const SECRET = new Uint8Array(20).fill(7);
const RP_ID = 'localhost';
const ORIGIN = 'http://localhost';
const enc = new TextEncoder();

let code: { step: number; value: Promise<string> } | undefined;

function der(raw: Uint8Array): Uint8Array {
  const int = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const v = b.slice(i);
    return v[0]! & 0x80 ? Uint8Array.of(0, ...v) : v;
  };
  const r = int(raw.slice(0, 32));
  const s = int(raw.slice(32));
  return Uint8Array.of(0x30, r.length + s.length + 4, 0x02, r.length, ...r, 0x02, s.length, ...s);
}

async function makeAssertion() {
  const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const jwk = (await crypto.subtle.exportKey('jwk', keys.publicKey)) as JsonWebKey;
  const b64 = (s: string) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const cose = isoCBOR.encode(
    new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, b64(jwk.x!)],
      [-3, b64(jwk.y!)],
    ]),
  );
  const challenge = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const clientData = enc.encode(
    JSON.stringify({ type: 'webauthn.get', challenge, origin: ORIGIN, crossOrigin: false }),
  );
  const rpIdHash = new Uint8Array(await crypto.subtle.digest('SHA-256', enc.encode(RP_ID)));
  const authData = Uint8Array.of(...rpIdHash, 0x05, 0, 0, 0, 0); // UP | UV, counter 0
  const clientHash = new Uint8Array(await crypto.subtle.digest('SHA-256', clientData));
  const raw = new Uint8Array(
    await crypto.subtle.sign(
      { name: 'ECDSA', hash: 'SHA-256' },
      keys.privateKey,
      Uint8Array.of(...authData, ...clientHash),
    ),
  );
  const id = base64url(crypto.getRandomValues(new Uint8Array(16)));
  return {
    challenge,
    credential: { id, publicKey: new Uint8Array(cose), counter: 0 },
    response: {
      id,
      rawId: id,
      type: 'public-key' as const,
      response: {
        clientDataJSON: base64url(clientData),
        authenticatorData: base64url(authData),
        signature: base64url(der(raw)),
      },
      clientExtensionResults: {},
    },
  };
}

let assertion: ReturnType<typeof makeAssertion> | undefined;

export default {
  async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path === '/noop') return new Response('ok');
    if (path === '/totp') {
      const now = Math.floor(Date.now() / 1000);
      const step = totpStep(now);
      if (code?.step !== step) code = { step, value: hotp(SECRET, step) };
      return new Response(String((await matchTotp(SECRET, await code.value, now)) === step));
    }
    if (path === '/passkey') {
      assertion ??= makeAssertion();
      const a = await assertion;
      const v = await verifyAuthenticationResponse({
        response: a.response,
        expectedChallenge: a.challenge,
        expectedOrigin: ORIGIN,
        expectedRPID: RP_ID,
        credential: a.credential,
        requireUserVerification: true,
      });
      return new Response(String(v.verified));
    }
    return new Response('not found', { status: 404 });
  },
};
