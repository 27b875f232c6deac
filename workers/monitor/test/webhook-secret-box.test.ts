import { describe, expect, it } from 'vitest';
import { SecretBox } from '../src/webhooks/secret-box.js';

const KEY = btoa(String.fromCharCode(...Array.from({ length: 32 }, (_, i) => i)));

describe('webhook secrets at rest', () => {
  it('seals with AES-GCM under the key, bound to its endpoint', async () => {
    const box = new SecretBox(KEY);
    const sealed = await box.seal('whsec_c2VjcmV0', 'endpoint-1');
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('c2VjcmV0');
    expect(await box.open(sealed, 'endpoint-1')).toBe('whsec_c2VjcmV0');
    // Moved to another endpoint, or opened with another key, it does not open.
    await expect(box.open(sealed, 'endpoint-2')).rejects.toThrow();
    const other = new SecretBox(btoa(String.fromCharCode(...new Uint8Array(32).fill(7))));
    await expect(other.open(sealed, 'endpoint-1')).rejects.toThrow();
    // Two seals of one secret differ (random IV).
    expect(await box.seal('whsec_c2VjcmV0', 'endpoint-1')).not.toBe(sealed);
  });

  it('without a key, nothing can be sealed', async () => {
    const box = new SecretBox(undefined);
    expect(box.configured).toBe(false);
    await expect(box.seal('whsec_x', 'e')).rejects.toThrow(/WEBHOOK_SECRET_KEY/);
  });
});
