/**
 * The active policy version as this isolate sees it: compiled once per version, with the stored entities.
 *
 * Freshness: the snapshot is trusted for REFRESH_MS after it was last verified. The first request after that
 * reads the generation from Redis (one GET, with a short deadline); an unchanged generation re-verifies the
 * snapshot, a changed one (or none published) reloads from Postgres, the source of truth, and compiles the new
 * version if the version changed. A decision therefore never uses a snapshot older than about REFRESH_MS plus
 * one round trip, well inside the 5 s activation guarantee, and steady state costs one Redis GET per isolate
 * per second and no Postgres query.
 *
 * If Redis cannot be read, Postgres is asked instead (each time the snapshot is due). If neither answers, the
 * snapshot keeps serving only while it was verified less than MAX_UNVERIFIED_MS ago; after that decisions fail
 * with 503 rather than risk using a version that may have been rolled back. After a store failure the next
 * REFRESH_MS answer at once (snapshot or 503) instead of each waiting on the store again.
 */
import { dependencyUnavailable } from '../../../../shared/errors.js';
import type { PolicyConfig } from '../config.js';
import { publishGeneration, readGeneration } from '../storage/generation-signal.js';
import { type ActiveState, loadActive } from '../storage/policy-store.js';
import { DEFAULT_POLICY_SOURCE } from './default-policy.js';
import { type EntityIndex, indexEntities } from './entities.js';
import { CompiledPolicySet, PolicySourceError } from './policy-set.js';

export const REFRESH_MS = 1_000;
/** While another request of this isolate is refreshing, others keep using a snapshot this fresh. */
const CONCURRENT_REFRESH_GRACE_MS = 3_000;
export const MAX_UNVERIFIED_MS = 4_000;
const REDIS_DEADLINE_MS = 300;
const LOAD_DEADLINE_MS = 3_000;
/** A replaced version's Cedar registrations are released this long after it stopped being active. */
const RETIRE_AFTER_MS = 60_000;

export interface ActiveSnapshot {
  setId: string;
  version: number;
  generation: number;
  set: CompiledPolicySet;
  entities: EntityIndex;
  /** The version's text, as stored. */
  source: { policies: string; schema: string };
}

interface IsolateState {
  snapshot?: ActiveSnapshot;
  verifiedAt: number;
  refreshingSince: number | null;
  /** When the store (Postgres) last failed to answer: for REFRESH_MS after it, fail fast instead of waiting again. */
  storeFailedAt: number;
  retired: { set: CompiledPolicySet; at: number }[];
}

// One state per (database, Redis prefix, set): tests may run several platforms against one isolate's code.
const states = new Map<string, IsolateState>();

function stateFor(config: PolicyConfig): IsolateState {
  const key = `${config.DATABASE_URL}|${config.REDIS_KEY_PREFIX}|${config.POLICY_SET_ID}`;
  let state = states.get(key);
  if (!state) {
    state = { verifiedAt: 0, refreshingSince: null, storeFailedAt: 0, retired: [] };
    states.set(key, state);
  }
  return state;
}

function log(entry: Record<string, unknown>): void {
  console.log(JSON.stringify({ service: 'policy', ...entry }));
}

async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Compiles `state` into a snapshot, reusing the compiled version when only the entities changed. */
function snapshotOf(config: PolicyConfig, state: ActiveState, previous: ActiveSnapshot | undefined): ActiveSnapshot {
  let set = previous?.set;
  if (!set || previous?.version !== state.version) {
    try {
      set = new CompiledPolicySet({ version: state.version, policies: state.policies, schema: state.schema });
    } catch (err) {
      if (err instanceof PolicySourceError) {
        // Validated when published; failing now means the engine changed under it. Fail closed, loudly.
        log({
          level: 'error',
          msg: 'active policy version does not compile',
          version: state.version,
          error: err.message,
        });
        throw dependencyUnavailable(`active policy version ${state.version} does not compile: ${err.message}`);
      }
      throw err;
    }
  }
  return {
    setId: config.POLICY_SET_ID,
    version: state.version,
    generation: state.generation,
    set,
    entities: indexEntities(state.entities),
    source: { policies: state.policies, schema: state.schema },
  };
}

function retire(state: IsolateState, old: ActiveSnapshot | undefined, next: ActiveSnapshot, now: number): void {
  if (old && old.set !== next.set) state.retired.push({ set: old.set, at: now });
  while (state.retired.length > 0 && now - (state.retired[0] as { at: number }).at > RETIRE_AFTER_MS) {
    const entry = state.retired.shift() as { set: CompiledPolicySet };
    if (entry.set !== next.set) entry.set.dispose();
  }
}

/** The snapshot decisions use now (see the module comment for the freshness rules). */
export async function activeSnapshot(config: PolicyConfig): Promise<ActiveSnapshot> {
  const state = stateFor(config);
  const now = Date.now();
  const current = state.snapshot;
  if (current && now - state.verifiedAt < REFRESH_MS) return current;
  if (
    current &&
    state.refreshingSince !== null &&
    now - state.refreshingSince < CONCURRENT_REFRESH_GRACE_MS &&
    now - state.verifiedAt < CONCURRENT_REFRESH_GRACE_MS
  ) {
    return current;
  }
  if (now - state.storeFailedAt < REFRESH_MS) {
    // The store just failed: answer at once (the recent snapshot, or 503) rather than wait on it again.
    if (current && now - state.verifiedAt < MAX_UNVERIFIED_MS) return current;
    throw dependencyUnavailable('the policy store is unreachable and no recently verified policy version is loaded');
  }
  state.refreshingSince = now;
  try {
    let published: number | null = null;
    let redisUp = true;
    try {
      published = await readGeneration(config, config.POLICY_SET_ID, REDIS_DEADLINE_MS);
    } catch (err) {
      redisUp = false;
      log({
        level: 'warn',
        msg: 'policy generation unreadable from Redis; asking Postgres',
        error: (err as Error).message,
      });
    }
    const latest = state.snapshot;
    if (latest && published !== null && published <= latest.generation) {
      state.verifiedAt = now;
      return latest;
    }
    let loaded: ActiveState;
    try {
      loaded = await withDeadline(loadActive(config, config.POLICY_SET_ID, DEFAULT_POLICY_SOURCE), LOAD_DEADLINE_MS);
    } catch (err) {
      state.storeFailedAt = Date.now();
      const fallback = state.snapshot;
      if (fallback && Date.now() - state.verifiedAt < MAX_UNVERIFIED_MS) return fallback;
      log({ level: 'error', msg: 'policy store unreachable', error: (err as Error).message });
      throw dependencyUnavailable('the policy store is unreachable and no recently verified policy version is loaded');
    }
    const next = snapshotOf(config, loaded, state.snapshot);
    retire(state, state.snapshot, next, now);
    state.snapshot = next;
    state.verifiedAt = now;
    if (redisUp && (published === null || published < loaded.generation)) {
      // Repair a missing or lagging signal (fresh Redis, lost write) so other isolates stop asking Postgres.
      await publishGeneration(config, config.POLICY_SET_ID, loaded.generation, REDIS_DEADLINE_MS).catch((err) =>
        log({ level: 'warn', msg: 'could not publish policy generation', error: (err as Error).message }),
      );
    }
    return next;
  } finally {
    state.refreshingSince = null;
  }
}

/** Makes the next `activeSnapshot` call re-verify (after this isolate changed the store itself). */
export function invalidateActiveSnapshot(config: PolicyConfig): void {
  stateFor(config).verifiedAt = 0;
}
