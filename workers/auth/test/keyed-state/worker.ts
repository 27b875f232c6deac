/**
 * Test-only Worker (never deployed): hosts a StateObject with the conformance suite's machines and the auth
 * Worker's machines, so the suite here drives both through the real Durable Object backend.
 */
import { createStateObject } from '../../../../shared/state/durable-object.js';
import { TEST_MACHINES } from '../../../../shared/state/test/machines.js';
import { AUTH_MACHINES } from '../../src/state-machines.js';

export class StateObject extends createStateObject([...TEST_MACHINES, ...AUTH_MACHINES]) {}

export default {
  fetch: () => new Response('auth keyed-state tests'),
};
