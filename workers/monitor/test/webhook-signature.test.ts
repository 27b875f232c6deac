import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  checkEndpointSecret,
  checkMessageId,
  newEndpointSecret,
  signWebhook,
  WebhookMessageIdError,
  WebhookSecretError,
} from '../src/webhooks/domain/signature.js';

const random = (b: Uint8Array) => crypto.getRandomValues(b);

describe('Standard Webhooks signing inside workerd', () => {
  it('signs with the library and verifies with the same library', () => {
    const secret = newEndpointSecret(random);
    const payload = JSON.stringify({ type: 'alert.created', timestamp: new Date().toISOString(), data: { id: 'a1' } });
    const headers = signWebhook({ msgId: 'msg_a1_c1', timestamp: Date.now(), payload, secrets: [secret] });
    expect(headers['webhook-id']).toBe('msg_a1_c1');
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(new Webhook(secret).verify(payload, { ...headers })).toEqual(JSON.parse(payload));
  });

  it('produces the specification construction: HMAC-SHA256 over id.timestamp.payload (checked with WebCrypto)', async () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const ts = 1_674_087_231_000;
    const payload = '{"type":"example.event"}';
    const headers = signWebhook({
      msgId: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
      timestamp: ts,
      payload,
      secrets: [secret],
    });
    const keyBytes = Uint8Array.from(atob(secret.slice(6)), (c) => c.charCodeAt(0));
    const key = await crypto.subtle.importKey('raw', keyBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const mac = await crypto.subtle.sign(
      'HMAC',
      key,
      new TextEncoder().encode(`msg_2KWPBgLlAfxdpx2AI54pPJ85f4W.1674087231.${payload}`),
    );
    const expected = btoa(String.fromCharCode(...new Uint8Array(mac)));
    expect(headers['webhook-timestamp']).toBe('1674087231');
    expect(headers['webhook-signature']).toBe(`v1,${expected}`);
  });

  it('signs with every active secret during a rotation; receivers holding either secret verify', () => {
    const [oldSecret, newSecret] = [newEndpointSecret(random), newEndpointSecret(random)];
    const payload = '{"a":1}';
    const headers = signWebhook({ msgId: 'msg_x', timestamp: Date.now(), payload, secrets: [newSecret, oldSecret] });
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(oldSecret).verify(payload, { ...headers })).toEqual({ a: 1 });
    expect(new Webhook(newSecret).verify(payload, { ...headers })).toEqual({ a: 1 });
  });

  it('fails verification for a tampered payload, another secret, or a stale timestamp', () => {
    const secret = newEndpointSecret(random);
    const headers = signWebhook({ msgId: 'msg_y', timestamp: Date.now(), payload: '{"a":1}', secrets: [secret] });
    expect(() => new Webhook(secret).verify('{"a":2}', { ...headers })).toThrow(WebhookVerificationError);
    expect(() => new Webhook(newEndpointSecret(random)).verify('{"a":1}', { ...headers })).toThrow(
      WebhookVerificationError,
    );
    const old = signWebhook({
      msgId: 'msg_y',
      timestamp: Date.now() - 10 * 60_000,
      payload: '{"a":1}',
      secrets: [secret],
    });
    expect(() => new Webhook(secret).verify('{"a":1}', { ...old })).toThrow(/too old/);
  });

  it('makes 32-byte secrets and refuses malformed ones and message ids', () => {
    const s = newEndpointSecret(random);
    expect(s).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(checkEndpointSecret(s)).toBe(s);
    for (const bad of [
      'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'whsec_short',
      'whsec_not base64!',
      `whsec_${btoa('x'.repeat(65))}`,
    ])
      expect(() => checkEndpointSecret(bad), bad).toThrow(WebhookSecretError);
    for (const bad of ['msg_a.b', 'a1', 'msg_', `msg_${'x'.repeat(121)}`])
      expect(() => checkMessageId(bad), bad).toThrow(WebhookMessageIdError);
    expect(() => signWebhook({ msgId: 'msg_a', timestamp: 0, payload: '', secrets: [] })).toThrow(WebhookSecretError);
  });
});
