import { describe, expect, it } from 'vitest';
import { acknowledgeAfterLease, leaseCovers, refreshDue } from '../src/tokens/domain/revocation-lease.js';
import { compareLogIds, readTail } from '../src/tokens/storage/denylist-log.js';

describe('the revocation lease', () => {
  it('a read answers an introspection only if it was sent less than the lease before the introspection began', () => {
    // Revocation in Redis by 1000, acknowledged at 1200 (lease 200). An introspection beginning at 1200 or later may
    // only use a read sent after 1000, which saw the revocation.
    expect(leaseCovers(1001, 1200, 200)).toBe(true);
    expect(leaseCovers(1000, 1200, 200)).toBe(false);
    expect(leaseCovers(1001, 1201, 200)).toBe(false);
    expect(leaseCovers(999, 1200, 200)).toBe(false);
    // A read sent after the introspection began is always good, whatever the lease.
    expect(leaseCovers(1300, 1201, 0)).toBe(true);
  });

  it('a lease of 0 never answers from memory: only a read sent after the introspection began', () => {
    expect(leaseCovers(1000, 1000, 0)).toBe(false);
    expect(leaseCovers(999, 1000, 0)).toBe(false);
  });

  it('renews once half the lease is used, or earlier when a round trip takes a large share of it', () => {
    expect(refreshDue(1000, 1099, 200, 1)).toBe(false);
    expect(refreshDue(1000, 1100, 200, 1)).toBe(true);
    // 40 ms away: a read must go out 120 ms before the end of the lease to come back in time.
    expect(refreshDue(1000, 1079, 200, 40)).toBe(false);
    expect(refreshDue(1000, 1080, 200, 40)).toBe(true);
    // Never timed yet: renew at once.
    expect(refreshDue(1000, 1000, 200, Number.POSITIVE_INFINITY)).toBe(true);
  });

  it('a revocation is acknowledged no sooner than the lease after it reached Redis', async () => {
    const started = performance.now();
    await acknowledgeAfterLease(50);
    expect(performance.now() - started).toBeGreaterThanOrEqual(49);
    const zero = performance.now();
    await acknowledgeAfterLease(0);
    expect(performance.now() - zero).toBeLessThan(20);
  });
});

describe("reading the denylist's change log", () => {
  const entry = (id: string, member?: string): [string, string[]] => [id, member ? ['m', member] : ['anchor', '1']];

  it('orders stream ids by time, then sequence (not as strings)', () => {
    expect(compareLogIds('1700000000000-2', '1700000000000-10')).toBeLessThan(0);
    expect(compareLogIds('1700000000001-0', '1700000000000-99')).toBeGreaterThan(0);
    expect(compareLogIds('999-0', '1000-0')).toBeLessThan(0);
    expect(compareLogIds('5-5', '5-5')).toBe(0);
  });

  it('a read from the cursor continues the log: the members after the cursor are revoked', () => {
    const tail = readTail('5-0', [entry('5-0', 'old'), entry('6-0', 'a'), entry('7-0'), entry('8-0', 'rfid:f')], 10);
    expect(tail).toEqual({ continues: true, revoked: ['a', 'rfid:f'], end: '8-0', complete: true });
    expect(readTail('5-0', [entry('5-0', 'old')], 10)).toEqual({
      continues: true,
      revoked: [],
      end: '5-0',
      complete: true,
    });
  });

  it("the cursor's entry gone (log flushed or trimmed past it) does not continue, and still names what it read", () => {
    expect(readTail('5-0', [entry('9-0', 'b')], 10)).toEqual({
      continues: false,
      revoked: ['b'],
      end: '9-0',
      complete: true,
    });
    expect(readTail('5-0', [], 10)).toEqual({ continues: false, revoked: [], end: null, complete: true });
  });

  it('a full read may not be the whole log', () => {
    const full = readTail('1-0', [entry('1-0'), entry('2-0', 'a'), entry('3-0', 'b')], 3);
    expect(full.complete).toBe(false);
    expect(full.revoked).toEqual(['a', 'b']);
  });

  it('without a cursor, a read of the tip starts the log there', () => {
    expect(readTail(null, [entry('9-0', 'x')], 10)).toEqual({
      continues: false,
      revoked: [],
      end: '9-0',
      complete: true,
    });
    expect(readTail(null, [], 10)).toEqual({ continues: false, revoked: [], end: null, complete: true });
  });

  it('a malformed reply throws (the caller then treats Redis as not answering)', () => {
    expect(() => readTail('1-0', 'OK', 10)).toThrow();
    expect(() => readTail(null, null, 10)).toThrow();
  });
});
