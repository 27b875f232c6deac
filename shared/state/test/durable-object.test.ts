import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { DOCUMENT_KEY, durableObjectStateStore, type StateNamespace, stateObjectName } from '../durable-object.js';
import { StateFault } from '../errors.js';
import { defineMachine, isRecord } from '../machine.js';
import { machineClient } from '../store.js';
import { describeStateConformance } from './conformance.js';
import { counter } from './machines.js';

const ns = (env as unknown as { STATE: StateNamespace }).STATE;
const store = durableObjectStateStore(ns);
const stub = (machine: string, key: string) => ns.get(ns.idFromName(stateObjectName(machine, key)));

describeStateConformance('durable-object', () => ({
  store,
  readRaw: (machine, key) => stub(machine, key).inspect() as Promise<string | undefined>,
  writeRaw: (machine, key, raw) =>
    runInDurableObject(stub(machine, key), (_instance, state) => {
      state.storage.kv.put(DOCUMENT_KEY, raw);
    }),
}));

describe('Durable Object backend', () => {
  it('puts each (machine, key) in its own object, storing one value under one key', async () => {
    const c = machineClient(store, counter);
    await c.add('do-layout', 3);
    const keys = await runInDurableObject(stub('counter', 'do-layout'), (_i, state) => [...state.storage.kv.list()]);
    expect(keys.map(([k]) => k)).toEqual([DOCUMENT_KEY]);
    expect(await stub('counter', 'other-key').inspect()).toBeUndefined();
  });

  it('clears its alarm-driven storage: an expired document leaves the object empty', async () => {
    const c = machineClient(store, counter);
    await c.setExpiring('do-alarm', { n: 1, ttlMs: 200 });
    const alarm = await runInDurableObject(stub('counter', 'do-alarm'), (_i, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThan(Date.now() - 1000);
    await new Promise((r) => setTimeout(r, 700));
    const left = await runInDurableObject(stub('counter', 'do-alarm'), (_i, state) => [...state.storage.kv.list()]);
    expect(left).toEqual([]);
  });

  it('answers a machine the Worker did not register with a StateFault', async () => {
    const stranger = defineMachine({
      name: 'not-registered',
      validate: (d): d is object => isRecord(d),
      transitions: { get: (doc) => ({ doc, result: null }) },
    });
    const err = (await store.apply(stranger, 'k', 'get', undefined).catch((e) => e)) as StateFault;
    expect(err).toBeInstanceOf(StateFault);
    expect(err.code).toBe('ERR_STATE_UNKNOWN_OPERATION');
  });
});
