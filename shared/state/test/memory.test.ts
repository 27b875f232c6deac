import { memoryStateStore } from '../memory.js';
import { describeStateConformance } from './conformance.js';

const store = memoryStateStore();

describeStateConformance('memory', () => ({
  store,
  readRaw: async (machine, key) => store.values.get(`${machine}:${key}`),
  writeRaw: async (machine, key, raw) => {
    store.values.set(`${machine}:${key}`, raw);
  },
}));
