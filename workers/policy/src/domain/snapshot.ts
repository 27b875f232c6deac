/** The active policy version as an isolate holds it: compiled once per version, with the stored entities. */
import type { EntityIndex } from './entities.js';
import type { CompiledPolicySet } from './policy-set.js';

export interface ActiveSnapshot {
  setId: string;
  version: number;
  generation: number;
  set: CompiledPolicySet;
  entities: EntityIndex;
  /** The version's text, as stored. */
  source: { policies: string; schema: string };
}
