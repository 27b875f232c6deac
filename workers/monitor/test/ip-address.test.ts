import { describe, expect, it } from 'vitest';
import { canonicalIp, networkOf, parseIpAddress } from '../src/events/domain/ip-address.js';

describe('IP addresses', () => {
  it('canonicalises IPv4 and IPv6 (RFC 5952)', () => {
    const cases: Array<[string, string]> = [
      ['192.0.2.1', '192.0.2.1'],
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
      ['2001:db8:0000:0001:0:0:0:1', '2001:db8:0:1::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['::', '::'],
      ['::1', '::1'],
      ['1::', '1::'],
      ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6'],
      ['2001:db8::0:1', '2001:db8::1'],
      ['::ffff:198.51.100.7', '198.51.100.7'],
      ['::ffff:c633:6407', '198.51.100.7'],
      ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ];
    for (const [input, out] of cases) expect(canonicalIp(input), input).toBe(out);
  });

  it('rejects what is not an address', () => {
    for (const bad of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '01.2.3.4',
      '1.2.3.4 ',
      '::1::',
      '1:2:3:4:5:6:7:8:9',
      '1::2::3',
      '12345::',
      'fe80::1%eth0',
      '[::1]',
      '1.2.3.4::',
      '1.2.3.4:1::',
      ':1::2',
      'g::1',
      '1:2:3:4:5:6:7::8',
    ])
      expect(parseIpAddress(bad), bad).toBeNull();
  });

  it('groups addresses by /24 and /64, and by configured prefixes', () => {
    expect(networkOf('203.0.113.77')).toBe('203.0.113.0/24');
    expect(networkOf('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(networkOf('::ffff:203.0.113.77')).toBe('203.0.113.0/24');
    expect(networkOf('203.0.113.77', { v4: 16, v6: 48 })).toBe('203.0.0.0/16');
    expect(networkOf('2001:db8:1:2::1', { v4: 16, v6: 48 })).toBe('2001:db8:1::/48');
    expect(networkOf('203.0.113.77', { v4: 20, v6: 64 })).toBe('203.0.112.0/20');
    expect(networkOf('not an ip')).toBeNull();
  });
});
