import { describe, expect, it } from 'vitest';
import { clientIp, normalizeIp } from '../src/domain/client-ip.js';

const req = (headers: Record<string, string>) => ({ headers: new Headers(headers) });

describe('clientIp', () => {
  it('prefers CF-Connecting-IP, whatever the proxy setting', () => {
    const r = req({ 'cf-connecting-ip': '203.0.113.7', 'x-forwarded-for': '198.51.100.1' });
    expect(clientIp(r, false)).toBe('203.0.113.7');
    expect(clientIp(r, true)).toBe('203.0.113.7');
  });

  it('uses the first X-Forwarded-For entry only when proxy headers are trusted', () => {
    const r = req({ 'x-forwarded-for': '198.51.100.1, 10.0.0.1, 10.0.0.2' });
    expect(clientIp(r, true)).toBe('198.51.100.1');
    expect(clientIp(r, false)).toBe('unknown');
  });

  it('answers "unknown" without any header', () => {
    expect(clientIp(req({}), true)).toBe('unknown');
    expect(clientIp(req({}), false)).toBe('unknown');
  });

  it('ignores values that are not IP literals, so forged headers cannot mint arbitrary keys', () => {
    expect(clientIp(req({ 'cf-connecting-ip': 'evil; drop' }), false)).toBe('unknown');
    expect(clientIp(req({ 'x-forwarded-for': 'not-an-ip, 1.2.3.4' }), true)).toBe('unknown');
    expect(clientIp(req({ 'cf-connecting-ip': 'junk', 'x-forwarded-for': '192.0.2.9' }), true)).toBe('192.0.2.9');
    expect(normalizeIp('256.1.1.1')).toBeUndefined();
    expect(normalizeIp('1:2::3::4')).toBeUndefined();
  });

  it('normalizes IPv6 (case, brackets, zone)', () => {
    expect(clientIp(req({ 'cf-connecting-ip': '2001:DB8::1' }), false)).toBe('2001:db8::1');
    expect(normalizeIp('[fe80::1%eth0]')).toBe('fe80::1');
    expect(normalizeIp(' 192.0.2.1 ')).toBe('192.0.2.1');
  });
});
