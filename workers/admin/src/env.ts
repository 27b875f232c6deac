import type { CommonBindings } from '../../../shared/env.js';

export interface Env extends CommonBindings {
  AUTH?: Fetcher;
  POLICY?: Fetcher;
}
