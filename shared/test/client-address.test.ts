import { describe, expect, it } from 'vitest';
import { clientAddress, normalizeIp } from '../client-address.js';

// `cf` stands for the request.cf object Cloudflare's edge attaches; self-hosted workerd has none.
const req = (headers: Record<string, string>, cf?: object) => ({ headers: new Headers(headers), cf });
const EDGE = { colo: 'AMS' };

describe('clientAddress', () => {
  it('prefers CF-Connecting-IP on Cloudflare, whatever the proxy setting', () => {
    const r = req({ 'cf-connecting-ip': '203.0.113.7', 'x-forwarded-for': '198.51.100.1' }, EDGE);
    expect(clientAddress(r, false)).toBe('203.0.113.7');
    expect(clientAddress(r, true)).toBe('203.0.113.7');
  });

  it('ignores CF-Connecting-IP when the request did not come through the edge (a caller could forge it)', () => {
    expect(clientAddress(req({ 'cf-connecting-ip': '203.0.113.7' }), false)).toBe('unknown');
    expect(clientAddress(req({ 'cf-connecting-ip': '203.0.113.7', 'x-forwarded-for': '198.51.100.1' }), true)).toBe(
      '198.51.100.1',
    );
    // Self-hosted workerd attaches only the peer address; the forged header is still ignored.
    expect(clientAddress(req({ 'cf-connecting-ip': '203.0.113.7' }, { clientIp: '192.0.2.44:51262' }), false)).toBe(
      '192.0.2.44',
    );
  });

  it('falls back to the peer address workerd reports, IPv4 or IPv6', () => {
    expect(clientAddress(req({}, { clientIp: '127.0.0.1:40000' }), false)).toBe('127.0.0.1');
    expect(clientAddress(req({}, { clientIp: '[2001:DB8::5]:443' }), false)).toBe('2001:db8::5');
    expect(clientAddress(req({}, { clientIp: 'garbage' }), false)).toBe('unknown');
    // A trusted ingress's entry wins over the peer (which is then the ingress itself).
    expect(clientAddress(req({ 'x-forwarded-for': '198.51.100.9' }, { clientIp: '10.0.0.3:5000' }), true)).toBe(
      '198.51.100.9',
    );
  });

  it('uses the rightmost X-Forwarded-For entry (written by our ingress) only when proxy headers are trusted', () => {
    const r = req({ 'x-forwarded-for': '10.9.9.9, 198.51.100.1' });
    expect(clientAddress(r, true)).toBe('198.51.100.1');
    expect(clientAddress(r, false)).toBe('unknown');
  });

  it('answers "unknown" without any header', () => {
    expect(clientAddress(req({}), true)).toBe('unknown');
    expect(clientAddress(req({}, EDGE), false)).toBe('unknown');
  });

  it('ignores values that are not IP literals, so forged headers cannot mint arbitrary keys', () => {
    expect(clientAddress(req({ 'cf-connecting-ip': 'evil; drop' }, EDGE), false)).toBe('unknown');
    expect(clientAddress(req({ 'x-forwarded-for': '1.2.3.4, not-an-ip' }), true)).toBe('unknown');
    expect(clientAddress(req({ 'cf-connecting-ip': 'junk', 'x-forwarded-for': '192.0.2.9' }, EDGE), true)).toBe(
      '192.0.2.9',
    );
    expect(normalizeIp('256.1.1.1')).toBeUndefined();
    expect(normalizeIp('1:2::3::4')).toBeUndefined();
  });

  it('normalizes IPv6 (case, brackets, zone)', () => {
    expect(clientAddress(req({ 'cf-connecting-ip': '2001:DB8::1' }, EDGE), false)).toBe('2001:db8::1');
    expect(normalizeIp('[fe80::1%eth0]')).toBe('fe80::1');
    expect(normalizeIp(' 192.0.2.1 ')).toBe('192.0.2.1');
  });
});
