import { describe, expect, it } from 'vitest';
import { bucketKey, ipBucketId, ipv6Groups, keyPart } from '../rate-limit/domain/keys.js';
import { limiterVariables } from '../rate-limit/config.js';
import { LeaseHolder } from '../rate-limit/domain/lease.js';
import type { AcquireResult } from '../rate-limit/domain/token-bucket.js';

const granted = (id: string, amount: number, ttlMs = 1000): AcquireResult => ({
  allowed: true,
  remaining: 10,
  retryAfterMs: 0,
  resetMs: 500,
  lease: { id, amount, ttlMs },
});

describe('LeaseHolder', () => {
  it('spends only before sentAt + ttl - margin, measured from when the request was sent', () => {
    const h = new LeaseHolder(64, 1000, 100);
    h.record(granted('a.1', 3), 1000, 1040); // sent at 1000, answered at 1040
    expect(h.leases[0]?.validUntil).toBe(1900);
    expect(h.trySpend(1899, 1)).toBeDefined();
    expect(h.trySpend(1900, 1)).toBeUndefined();
    expect(h.available(1900)).toBe(0);
  });

  it('spends all-or-nothing from one lease, soonest-expiring first, and refunds only into that lease', () => {
    const h = new LeaseHolder(64, 1000, 100);
    h.record(granted('a.2', 2), 500, 500); // valid until 1400
    h.record(granted('a.1', 1), 0, 0); // valid until 900
    const first = h.trySpend(100, 1);
    expect(first?.id).toBe('a.1');
    expect(h.trySpend(100, 3)).toBeUndefined(); // 2 + 0 left, no single lease holds 3
    const second = h.trySpend(100, 1);
    expect(second?.id).toBe('a.2');
    h.refund(second as NonNullable<typeof second>, 1);
    expect(h.leases.find((l) => l.id === 'a.2')?.remaining).toBe(2);
    h.refund(second as NonNullable<typeof second>, 5);
    expect(h.leases.find((l) => l.id === 'a.2')?.remaining).toBe(2); // never above what was lent
  });

  it('drains penalties across leases', () => {
    const h = new LeaseHolder(64, 1000, 100);
    h.record(granted('a.1', 3), 0, 0);
    h.record(granted('a.2', 4), 0, 0);
    expect(h.drain(10, 5)).toBe(5);
    expect(h.available(10)).toBe(2);
    expect(h.drain(10, 5)).toBe(2);
    expect(h.available(10)).toBe(0);
  });

  it('gives back expired and exhausted leases with what is left, and keeps live ones', () => {
    const h = new LeaseHolder(64, 1000, 100);
    h.record(granted('a.1', 4), 0, 0); // valid until 900
    h.record(granted('a.2', 2), 500, 500); // valid until 1400
    h.record(granted('a.3', 1), 500, 500);
    h.trySpend(600, 1); // a.1 -> 3
    h.trySpend(600, 1); // a.1 -> 2
    while (h.leases.find((l) => l.id === 'a.3')?.remaining) h.leases.find((l) => l.id === 'a.3')!.remaining--;
    const returns = h.takeReturns(950);
    expect(returns).toEqual([
      { id: 'a.1', unspent: 2 },
      { id: 'a.3', unspent: 0 },
    ]);
    expect(h.leases.map((l) => l.id)).toEqual(['a.2']);
  });

  it('adapts the lease size: doubles while leases run out fast, halves while they expire unspent', () => {
    const h = new LeaseHolder(8, 1000, 100);
    expect(h.want).toBe(2);
    h.record(granted('a.1', 2), 0, 0);
    h.trySpend(10, 1);
    h.trySpend(10, 1); // exhausted at 10 ms of a 1000 ms life
    expect(h.want).toBe(4);
    h.record(granted('a.2', 4), 20, 20);
    for (let i = 0; i < 4; i++) h.trySpend(30, 1);
    expect(h.want).toBe(8);
    h.record(granted('a.3', 8), 40, 40);
    for (let i = 0; i < 8; i++) h.trySpend(50, 1);
    expect(h.want).toBe(8); // capped by RATE_LIMIT_LEASE_SIZE
    h.record(granted('a.4', 8), 100, 100);
    h.trySpend(200, 1);
    h.takeReturns(2000); // 7 of 8 forfeited
    expect(h.want).toBe(4);
  });

  it('under steady demand the lease settles near half to one TTL of it, so the default cap keeps owner calls rare', () => {
    // One isolate spending 6,000 tokens a second on one key for 5 s, refilling as the Limiter does (when
    // needsRefill says so, asking for `want`; the owner always grants it). Owner calls in the last second:
    const ownerCallsPerSecond = (cap: number) => {
      const h = new LeaseHolder(cap, 1000, 100);
      let calls = 0;
      let lastSecond = 0;
      for (let i = 0, n = 0; i < 30_000; i++) {
        const now = i / 6; // ms
        h.takeReturns(now);
        if (h.needsRefill(now)) {
          h.record(granted(`a.${++n}`, h.want), now, now);
          calls++;
          if (now >= 4000) lastSecond++;
        }
        expect(h.trySpend(now, 1)).toBeDefined();
      }
      return { calls, lastSecond, want: h.want };
    };
    const defaultCap = limiterVariables.RATE_LIMIT_LEASE_SIZE.parse(undefined, 'RATE_LIMIT_LEASE_SIZE');
    const settled = ownerCallsPerSecond(defaultCap);
    expect(settled.want).toBeGreaterThanOrEqual(1500); // within half to one TTL of 6,000 a second
    expect(settled.want).toBeLessThanOrEqual(6000);
    expect(settled.lastSecond).toBeLessThanOrEqual(4);
    // The former cap of 512: a call every 512 tokens, which on Durable Objects is a durable write each.
    expect(ownerCallsPerSecond(512).lastSecond).toBeGreaterThanOrEqual(10);
  });

  it('asks for a refill early, once, and not again while one is in flight', () => {
    const h = new LeaseHolder(64, 1000, 100);
    h.want = 16;
    expect(h.needsRefill(0)).toBe(true); // nothing held
    h.record(granted('a.1', 16), 0, 0);
    expect(h.needsRefill(10)).toBe(false);
    for (let i = 0; i < 13; i++) h.trySpend(10, 1);
    expect(h.needsRefill(10)).toBe(true); // 3 left < 16 / 4
    h.refilling = true;
    h.refillStartedAt = 10;
    expect(h.needsRefill(20)).toBe(false);
    expect(h.needsRefill(1500)).toBe(true); // a refill that never settled does not block forever
    // Tokens about to expire do not count as usable.
    const g = new LeaseHolder(64, 1000, 100);
    g.want = 4;
    g.record(granted('b.1', 4), 0, 0); // valid until 900
    expect(g.needsRefill(600)).toBe(false);
    expect(g.needsRefill(700)).toBe(true);
  });

  it('tracks calls in flight by ticket', () => {
    const h = new LeaseHolder(64, 1000, 100);
    const a = h.begin();
    const b = h.begin();
    expect(h.inFlight()).toEqual([a, b]);
    h.end(a);
    expect(h.anyPending([a])).toBe(false);
    expect(h.anyPending([a, b])).toBe(true);
  });
});

describe('bucket keys', () => {
  it('expands IPv6 and groups it per /64; IPv4 and IPv4-mapped stay whole', () => {
    expect(ipv6Groups('2001:db8::1')).toEqual([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]);
    expect(ipv6Groups('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(ipv6Groups('::ffff:192.0.2.1')).toEqual([0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201]);
    expect(ipv6Groups('1:2:3:4:5:6:7')).toBeUndefined();
    expect(ipv6Groups('1::2::3')).toBeUndefined();
    expect(ipv6Groups('12345::1')).toBeUndefined();
    expect(ipBucketId('2001:db8:aa:bb:1:2:3:4')).toBe('2001:db8:aa:bb::/64');
    expect(ipBucketId('2001:DB8:AA:BB::9')).toBe('2001:db8:aa:bb::/64');
    expect(ipBucketId('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(ipBucketId('192.0.2.1')).toBe('192.0.2.1');
    expect(ipBucketId('unknown')).toBe('unknown');
  });

  it('keeps short ids readable and hashes long or tag-like ones', async () => {
    expect(await keyPart('client-1')).toBe('client-1');
    const long = await keyPart('x'.repeat(129));
    expect(long).toMatch(/^h~[A-Za-z0-9_-]{43}$/);
    expect(await keyPart('x'.repeat(129))).toBe(long);
    expect(await keyPart('h~abc')).not.toBe('h~abc');
    expect(bucketKey('token', 'client', 'c1')).toBe('token:client:c1');
  });
});
