/**
 * Endpoint secrets at rest. Standard Webhooks signatures are HMACs, so the monitor needs each secret itself, not a
 * hash of it: secrets are stored encrypted with AES-256-GCM under WEBHOOK_SECRET_KEY (a Worker secret, never in
 * Postgres), the endpoint id as associated data so a sealed secret cannot be moved to another endpoint. Someone
 * with the database alone cannot sign webhooks; the key alone opens nothing.
 */
import { base64url, base64urlDecode } from '../../../../shared/crypto.js';
import { ConfigError } from '../../../../shared/config.js';

export class SecretBox {
  private key: Promise<CryptoKey> | undefined;

  constructor(private readonly keyText: string | undefined) {}

  get configured(): boolean {
    return this.keyText !== undefined;
  }

  private cryptoKey(): Promise<CryptoKey> {
    if (!this.keyText) throw new ConfigError('WEBHOOK_SECRET_KEY', 'is required for webhooks');
    if (!this.key) {
      const bytes = Uint8Array.from(atob(this.keyText), (ch) => ch.charCodeAt(0));
      if (bytes.length !== 32) throw new ConfigError('WEBHOOK_SECRET_KEY', 'must be base64 of 32 bytes');
      this.key = crypto.subtle.importKey('raw', bytes, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
    }
    return this.key;
  }

  async seal(secret: string, endpointId: string): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(endpointId) },
      await this.cryptoKey(),
      new TextEncoder().encode(secret),
    );
    return `v1.${base64url(iv)}.${base64url(new Uint8Array(ct))}`;
  }

  async open(sealed: string, endpointId: string): Promise<string> {
    const [v, iv, ct] = sealed.split('.');
    if (v !== 'v1' || !iv || !ct) throw new Error('sealed webhook secret has an unknown format');
    const plain = await crypto.subtle.decrypt(
      {
        name: 'AES-GCM',
        iv: base64urlDecode(iv) as BufferSource,
        additionalData: new TextEncoder().encode(endpointId),
      },
      await this.cryptoKey(),
      base64urlDecode(ct) as BufferSource,
    );
    return new TextDecoder().decode(plain);
  }
}
