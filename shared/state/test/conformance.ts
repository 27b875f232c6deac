/**
 * The StateStore conformance suite. Every backend runs it against its real server (memory and Durable Objects
 * inside workerd, Redis through the Upstash-protocol bridge to the machine's Redis); the in-memory store is only
 * allowed in unit tests because it passes it too.
 */
import { describe, expect, it } from 'vitest';
import { MAX_DOC_BYTES } from '../document.js';
import { StateFault, type StateFaultCode } from '../errors.js';
import { machineClient, type StateStore } from '../store.js';
import { blob, counter, faulty, ledger, once } from './machines.js';

export interface ConformanceTarget {
  store: StateStore;
  /** The value the backend holds for (machine, key), undefined when it holds none. */
  readRaw(machine: string, key: string): Promise<string | undefined>;
  /** Puts a value straight into the backend, bypassing the store (corrupt-data tests). */
  writeRaw(machine: string, key: string, raw: string): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function faultOf(p: Promise<unknown>): Promise<StateFaultCode | string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof StateFault) return err.code;
    return `not a StateFault: ${String(err)}`;
  }
  return 'no error';
}

/** Polls until `check` holds, for backends that reclaim storage in the background (alarms, Redis expiry). */
async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
}

export function describeStateConformance(name: string, setup: () => ConformanceTarget) {
  describe(`StateStore conformance: ${name}`, () => {
    let n = 0;
    // Fresh keys per test, so tests never see each other's documents on a shared backend.
    const key = (label: string) => `${label}-${Date.now().toString(36)}-${++n}`;

    it('applies transitions and returns their results; keys and machines are independent', async () => {
      const { store } = setup();
      const c = machineClient(store, counter);
      const k = key('basic');
      expect(await c.get(k)).toBe(0);
      expect(await c.add(k, 5)).toBe(5);
      expect(await c.add(k, -2)).toBe(3);
      expect(await c.get(k)).toBe(3);
      expect(await c.get(`${k}-other`)).toBe(0);
      // Same key, another machine: another document.
      expect(await machineClient(store, blob).get(k)).toBeNull();
      expect(await machineClient(store, once).consume(k, 'x')).toEqual({ won: false, reason: 'missing' });
    });

    it('does not write when a transition leaves the document as it was', async () => {
      const t = setup();
      const c = machineClient(t.store, counter);
      const k = key('read');
      expect(await c.get(k)).toBe(0);
      expect(await t.readRaw('counter', k)).toBeUndefined(); // a read of nothing creates nothing
      await c.add(k, 7);
      const before = await t.readRaw('counter', k);
      expect(before).toMatch(/^s1\|/);
      for (let i = 0; i < 3; i++) expect(await c.get(k)).toBe(7);
      expect(await c.rebuild(k)).toBe(7); // an equal new object is not a write either
      expect(await t.readRaw('counter', k)).toBe(before); // same version token: never rewritten
      await c.add(k, 1);
      expect(await t.readRaw('counter', k)).not.toBe(before);
    });

    it('deletes: the document reads as absent and the backend holds nothing', async () => {
      const t = setup();
      const c = machineClient(t.store, counter);
      const k = key('delete');
      await c.add(k, 2);
      expect(await c.remove(k)).toBe(true);
      expect(await c.get(k)).toBe(0);
      expect(await t.readRaw('counter', k)).toBeUndefined();
      expect(await c.remove(k)).toBe(false);
    });

    it('100 concurrent increments on one key: exactly 100, each result seen once', async () => {
      const c = machineClient(setup().store, counter);
      const k = key('incr');
      const results = await Promise.all(Array.from({ length: 100 }, () => c.add(k, 1)));
      expect(await c.get(k)).toBe(100);
      expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    });

    it('50 concurrent consumers of a single-use document: exactly one wins', async () => {
      const o = machineClient(setup().store, once);
      const k = key('once');
      expect(await o.issue(k, 60_000)).toBe(true);
      const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => o.consume(k, `c${i}`)));
      const winners = outcomes.filter((r) => r.won);
      expect(winners).toHaveLength(1);
      expect(outcomes.filter((r) => !r.won && r.reason === 'used')).toHaveLength(49);
      const doc = await o.peek(k);
      expect(doc?.used).toBe(true);
      expect(outcomes[Number(doc?.by?.slice(1))]).toEqual({ won: true }); // the recorded winner is the one told so
    });

    it('concurrent appends to a ledger: no update lost or doubled', async () => {
      const l = machineClient(setup().store, ledger);
      const k = key('ledger');
      const ids = Array.from({ length: 40 }, (_, i) => `op${i}`);
      await Promise.all(ids.map((id) => l.append(k, id)));
      expect([...(await l.get(k))].sort()).toEqual([...ids].sort());
    });

    it('expires: the document reads as absent after expiresAt and the backend reclaims it', async () => {
      const t = setup();
      const c = machineClient(t.store, counter);
      const k = key('expiry');
      expect(await c.setExpiring(k, { n: 4, ttlMs: 300 })).toBe(4);
      expect(await c.get(k)).toBe(4);
      expect(await c.add(k, 1)).toBe(5); // a write without expiresAt keeps the stored expiry
      await sleep(450);
      expect(await c.get(k)).toBe(0);
      expect(await eventually(async () => (await t.readRaw('counter', k)) === undefined, 3000)).toBe(true);
      // A new document at the same key starts from nothing.
      expect(await c.add(k, 1)).toBe(1);
    });

    it('moving the expiry later keeps the document alive past the first expiry', async () => {
      const c = machineClient(setup().store, counter);
      const k = key('touch');
      await c.setExpiring(k, { n: 1, ttlMs: 300 });
      await sleep(150);
      expect(await c.touch(k, 900)).toBe(true);
      await sleep(400); // past the first expiry (and past the first alarm, on Durable Objects)
      expect(await c.get(k)).toBe(1);
      await sleep(800);
      expect(await c.get(k)).toBe(0);
    });

    it('an expiry at or before now deletes', async () => {
      const t = setup();
      const c = machineClient(t.store, counter);
      const k = key('past');
      await c.add(k, 3);
      expect(await c.setExpiring(k, { n: 9, ttlMs: 0 })).toBe(9);
      expect(await c.get(k)).toBe(0);
      expect(await t.readRaw('counter', k)).toBeUndefined();
    });

    it(`stores documents up to ${MAX_DOC_BYTES} bytes and refuses larger ones without writing`, async () => {
      const t = setup();
      const b = machineClient(t.store, blob);
      const k = key('large');
      // Multi-byte text (2, 3 and 4 bytes a character) padded to exactly the limit, then one byte over it.
      const unit = 'é€😀abc'; // 12 bytes
      const overhead = JSON.stringify({ data: '' }).length;
      const units = Math.floor((MAX_DOC_BYTES - overhead) / 12);
      const data = unit.repeat(units) + 'x'.repeat(MAX_DOC_BYTES - overhead - units * 12);
      expect(new TextEncoder().encode(JSON.stringify({ data })).length).toBe(MAX_DOC_BYTES);
      expect(await b.put(k, data)).toBe(data.length);
      expect(await b.get(k)).toBe(data);
      const before = await t.readRaw('blob', k);
      expect(await faultOf(b.put(k, `${data}x`))).toBe('ERR_STATE_TOO_LARGE');
      expect(await t.readRaw('blob', k)).toBe(before);
      expect(await b.get(k)).toBe(data);
    });

    it('fails closed on malformed stored data and never overwrites it', async () => {
      const t = setup();
      const c = machineClient(t.store, counter);
      const corrupt = [
        'garbage',
        '{"n":1}',
        's1|short|',
        's1|AAAAAAAAAAAAAAAA||{"n":',
        's1|AAAAAAAAAAAAAAAA||{"n":"1"}',
        's1|AAAAAAAAAAAAAAAA|abc|{"n":1}',
        's1|AAAAAAAAAAAAAAAA||null',
      ];
      for (const raw of corrupt) {
        const k = key('corrupt');
        await t.writeRaw('counter', k, raw);
        expect(await faultOf(c.get(k)), raw).toBe('ERR_STATE_CORRUPT');
        expect(await faultOf(c.add(k, 1)), raw).toBe('ERR_STATE_CORRUPT');
        expect(await faultOf(c.remove(k)), raw).toBe('ERR_STATE_CORRUPT');
        expect(await t.readRaw('counter', k), raw).toBe(raw);
      }
      // A well-formed value written by someone else is read like any other.
      const k = key('foreign');
      await t.writeRaw('counter', k, 's1|AAAAAAAAAAAAAAAA||{"n":41}');
      expect(await c.add(k, 1)).toBe(42);
    });

    it('a failing transition writes nothing', async () => {
      const t = setup();
      const f = machineClient(t.store, faulty);
      const k = key('faulty');
      await f.set(k, 1);
      const before = await t.readRaw('faulty', k);
      for (const op of ['throws', 'mutates', 'invalidDoc', 'notJson', 'badExpiry', 'noOutcome'] as const) {
        expect(await faultOf(f[op](k)), op).toBe('ERR_STATE_TRANSITION_FAILED');
        expect(await t.readRaw('faulty', k), op).toBe(before);
      }
      // ...also on a key that has no document yet.
      const fresh = key('faulty-fresh');
      expect(await faultOf(f.invalidDoc(fresh))).toBe('ERR_STATE_TRANSITION_FAILED');
      expect(await t.readRaw('faulty', fresh)).toBeUndefined();
    });

    it('refuses unknown operations and bad keys', async () => {
      const { store } = setup();
      expect(await faultOf(store.apply(counter, key('op'), 'nope', undefined))).toBe('ERR_STATE_UNKNOWN_OPERATION');
      expect(await faultOf(store.apply(counter, key('op'), 'toString', undefined))).toBe('ERR_STATE_UNKNOWN_OPERATION');
      await expect(store.apply(counter, '', 'get', undefined)).rejects.toThrow(TypeError);
      await expect(store.apply(counter, 'k'.repeat(513), 'get', undefined)).rejects.toThrow(TypeError);
    });
  });
}
