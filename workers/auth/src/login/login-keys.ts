/**
 * The hosted login's HMAC keys (CSRF tokens, device cookies), derived once per isolate with HKDF from the
 * CLIENT_CACHE_MAC_KEY secret under their own labels: no new secret to provision, and a key derived for one use
 * says nothing about the secret or the other keys.
 */
export interface LoginKeys {
  csrf: CryptoKey;
  device: CryptoKey;
}

async function derive(secret: CryptoKey, label: string): Promise<CryptoKey> {
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: new TextEncoder().encode(label) },
    secret,
    { name: 'HMAC', hash: 'SHA-256', length: 256 },
    false,
    ['sign', 'verify'],
  );
}

export function loginKeys(secret: Uint8Array): () => Promise<LoginKeys> {
  let keys: Promise<LoginKeys> | undefined;
  return () => {
    keys ??= (async () => {
      const ikm = await crypto.subtle.importKey('raw', new Uint8Array(secret), 'HKDF', false, ['deriveKey']);
      return {
        csrf: await derive(ikm, 'edge-security login csrf v1'),
        device: await derive(ikm, 'edge-security login device-cookie v1'),
      };
    })();
    keys.catch(() => {
      keys = undefined;
    });
    return keys;
  };
}
