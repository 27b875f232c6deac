/**
 * Configuration of the keyed-state store, in the shape of shared/config.ts specs (merge it into a Worker's spec).
 *
 * STATE_BACKEND  durable-object (default; Cloudflare, where one object per key is global) or redis (several
 *                workerd replicas, where Durable Objects are per process and would not be shared).
 * STATE_TIMEOUT_MS  deadline of one state operation, retries under contention included.
 */
import { type ConfigOf, int, oneOf } from '../config.js';

export const STATE_BACKENDS = ['durable-object', 'redis'] as const;

export const stateSpec = {
  STATE_BACKEND: oneOf(STATE_BACKENDS, { default: 'durable-object' }),
  STATE_TIMEOUT_MS: int({ default: 5000, min: 100, max: 30_000 }),
};

export type StateConfig = ConfigOf<typeof stateSpec>;

/** Raw bindings the spec reads. */
export interface StateBindings {
  STATE_BACKEND?: string;
  STATE_TIMEOUT_MS?: string;
}
