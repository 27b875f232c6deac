/** The shared read-modify-write step and stored form, and the typing machines give their callers. */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { encodeDocument, newVersion, parseStored, runStep } from '../document.js';
import { StateFault } from '../errors.js';
import { defineMachine, isRecord } from '../machine.js';
import { memoryStateStore } from '../memory.js';
import { machineClient } from '../store.js';
import { type ConsumeResult, counter, once } from './machines.js';

const stored = (doc: unknown, expiresAt?: number) =>
  encodeDocument({ version: newVersion(), expiresAt, body: JSON.stringify(doc) });

describe('stored form', () => {
  it('round-trips and uses a fresh 96-bit version per write', () => {
    const versions = new Set(Array.from({ length: 1000 }, newVersion));
    expect(versions.size).toBe(1000);
    for (const v of versions) expect(v).toMatch(/^[A-Za-z0-9_-]{16}$/);
    const s = encodeDocument({ version: 'AAAAAAAAAAAAAAAA', expiresAt: 123, body: '{"n":1}' });
    expect(s).toBe('s1|AAAAAAAAAAAAAAAA|123|{"n":1}');
    expect(parseStored(s)).toEqual({ version: 'AAAAAAAAAAAAAAAA', expiresAt: 123, body: '{"n":1}' });
    expect(parseStored('s2|AAAAAAAAAAAAAAAA||{}')).toBeUndefined();
  });
});

describe('runStep', () => {
  it('keeps the stored expiry when a write names none, and reports the version it read', () => {
    const s = stored({ n: 1 }, 5000);
    const step = runStep(counter, 'add', s, 2, 1000);
    expect(step.result).toBe(3);
    expect(step.readVersion).toBe(parseStored(s)?.version);
    expect(step.write.kind).toBe('put');
    if (step.write.kind === 'put') {
      expect(step.write.expiresAt).toBe(5000);
      expect(parseStored(step.write.stored)?.expiresAt).toBe(5000);
      expect(step.write.version).not.toBe(step.readVersion);
    }
  });

  it('treats an expired value as absent, and deleting it is a write (the version still guards the CAS)', () => {
    const s = stored({ n: 9 }, 1000);
    expect(runStep(counter, 'get', s, undefined, 1000).result).toBe(0);
    const del = runStep(counter, 'remove', s, undefined, 2000);
    expect(del.result).toBe(false);
    expect(del.write.kind).toBe('delete');
    expect(runStep(counter, 'remove', undefined, undefined, 2000).write.kind).toBe('none');
  });

  it('rounds a fractional expiry up, never down', () => {
    const step = runStep(counter, 'setExpiring', undefined, { n: 1, ttlMs: 10.2 }, 1000);
    expect(step.write.kind === 'put' && step.write.expiresAt).toBe(1011);
  });

  it('hands transitions a frozen document', () => {
    const seen: unknown[] = [];
    const spy = defineMachine({
      name: 'spy',
      validate: (d): d is { a: { b: number[] } } => isRecord(d),
      transitions: {
        look: (doc) => {
          seen.push(doc);
          return { doc, result: null };
        },
      },
    });
    runStep(spy, 'look', stored({ a: { b: [1] } }), undefined, 0);
    const doc = seen[0] as { a: { b: number[] } };
    expect(Object.isFrozen(doc) && Object.isFrozen(doc.a) && Object.isFrozen(doc.a.b)).toBe(true);
  });

  it('refuses to write a document its own validate rejects (a transition bug)', () => {
    expect(() => runStep(counter, 'add', stored({ n: 1 }), 'x' as unknown as number, 0)).toThrow(StateFault);
  });
});

describe('machine typing', () => {
  it('gives typed operations: arguments and results follow the transitions', async () => {
    const store = memoryStateStore();
    const c = machineClient(store, counter);
    const o = machineClient(store, once);
    expectTypeOf(c.add).parameters.toEqualTypeOf<[string, number]>();
    expectTypeOf(c.add).returns.resolves.toEqualTypeOf<number>();
    expectTypeOf(o.consume).returns.resolves.toEqualTypeOf<ConsumeResult>();
    // @ts-expect-error: add takes a number
    await c.add('k', 'one').catch(() => {});
    // @ts-expect-error: no such operation
    expect(c.nope).toBeUndefined();
    expect(() => defineMachine({ name: 'Bad Name', validate: isRecord, transitions: {} })).toThrow(TypeError);
  });
});
