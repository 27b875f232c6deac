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
 *
 * One ActivePolicy per env (the composition root builds it), so deployments tested in one isolate never share it.
 */
import { withDeadline } from '../../../shared/deadline.js';
import { dependencyUnavailable } from '../../../shared/errors.js';
import { DEFAULT_POLICY_SOURCE } from './domain/default-policy.js';
import { indexEntities } from './domain/entities.js';
import { CompiledPolicySet } from './domain/policy-set.js';
import { PolicySourceError } from './domain/policy-source.js';
import type { ActiveState, GenerationSignal, PolicyStore } from './domain/policy-store.js';
import type { ActiveSnapshot } from './domain/snapshot.js';

export const REFRESH_MS = 1_000;
/** While another request of this isolate is refreshing, others keep using a snapshot this fresh. */
const CONCURRENT_REFRESH_GRACE_MS = 3_000;
export const MAX_UNVERIFIED_MS = 4_000;
const REDIS_DEADLINE_MS = 300;
const LOAD_DEADLINE_MS = 3_000;
/** A replaced version's Cedar registrations are released this long after it stopped being active. */
const RETIRE_AFTER_MS = 60_000;

function log(entry: Record<string, unknown>): void {
  console.log(JSON.stringify({ service: 'policy', ...entry }));
}

/** Compiles `state` into a snapshot, reusing the compiled version when only the entities changed. */
function snapshotOf(setId: string, state: ActiveState, previous: ActiveSnapshot | undefined): ActiveSnapshot {
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
    setId,
    version: state.version,
    generation: state.generation,
    set,
    entities: indexEntities(state.entities),
    source: { policies: state.policies, schema: state.schema },
  };
}

export class ActivePolicy {
  private snapshot?: ActiveSnapshot;
  private verifiedAt = 0;
  private refreshingSince: number | null = null;
  /** When the store last failed to answer: for REFRESH_MS after it, fail fast instead of waiting again. */
  private storeFailedAt = 0;
  private readonly retired: { set: CompiledPolicySet; at: number }[] = [];

  constructor(
    private readonly store: PolicyStore,
    private readonly signal: GenerationSignal,
    readonly setId: string,
  ) {}

  /** Makes the next `current` call re-verify (after this isolate changed the store itself). */
  invalidate(): void {
    this.verifiedAt = 0;
  }

  private retire(old: ActiveSnapshot | undefined, next: ActiveSnapshot, now: number): void {
    if (old && old.set !== next.set) this.retired.push({ set: old.set, at: now });
    while (this.retired.length > 0 && now - (this.retired[0] as { at: number }).at > RETIRE_AFTER_MS) {
      const entry = this.retired.shift() as { set: CompiledPolicySet };
      if (entry.set !== next.set) entry.set.dispose();
    }
  }

  /** The snapshot, when it was verified less than REFRESH_MS ago: the decision path's answer without a promise. */
  fresh(now = Date.now()): ActiveSnapshot | undefined {
    return this.snapshot && now - this.verifiedAt < REFRESH_MS ? this.snapshot : undefined;
  }

  /** The snapshot decisions use now (see the module comment for the freshness rules). */
  async current(): Promise<ActiveSnapshot> {
    const now = Date.now();
    const fresh = this.fresh(now);
    if (fresh) return fresh;
    const current = this.snapshot;
    if (
      current &&
      this.refreshingSince !== null &&
      now - this.refreshingSince < CONCURRENT_REFRESH_GRACE_MS &&
      now - this.verifiedAt < CONCURRENT_REFRESH_GRACE_MS
    ) {
      return current;
    }
    if (now - this.storeFailedAt < REFRESH_MS) {
      // The store just failed: answer at once (the recent snapshot, or 503) rather than wait on it again.
      if (current && now - this.verifiedAt < MAX_UNVERIFIED_MS) return current;
      throw dependencyUnavailable('the policy store is unreachable and no recently verified policy version is loaded');
    }
    this.refreshingSince = now;
    try {
      let published: number | null = null;
      let redisUp = true;
      try {
        published = await this.signal.read(REDIS_DEADLINE_MS);
      } catch (err) {
        redisUp = false;
        log({
          level: 'warn',
          msg: 'policy generation unreadable from Redis; asking Postgres',
          error: (err as Error).message,
        });
      }
      const latest = this.snapshot;
      if (latest && published !== null && published <= latest.generation) {
        this.verifiedAt = now;
        return latest;
      }
      let loaded: ActiveState;
      try {
        loaded = await withDeadline(this.store.loadActive(DEFAULT_POLICY_SOURCE), LOAD_DEADLINE_MS);
      } catch (err) {
        this.storeFailedAt = Date.now();
        const fallback = this.snapshot;
        if (fallback && Date.now() - this.verifiedAt < MAX_UNVERIFIED_MS) return fallback;
        log({ level: 'error', msg: 'policy store unreachable', error: (err as Error).message });
        throw dependencyUnavailable(
          'the policy store is unreachable and no recently verified policy version is loaded',
        );
      }
      const next = snapshotOf(this.setId, loaded, this.snapshot);
      this.retire(this.snapshot, next, now);
      this.snapshot = next;
      this.verifiedAt = now;
      if (redisUp && (published === null || published < loaded.generation)) {
        // Repair a missing or lagging signal (fresh Redis, lost write) so other isolates stop asking Postgres.
        await this.signal
          .publish(loaded.generation, REDIS_DEADLINE_MS)
          .catch((err) =>
            log({ level: 'warn', msg: 'could not publish policy generation', error: (err as Error).message }),
          );
      }
      return next;
    } finally {
      this.refreshingSince = null;
    }
  }
}
