/**
 * The policy store, as the active-policy service and the admin handlers use it: one policy set's immutable
 * versions, which one is active, and the stored entities. Every change that can alter a decision raises the set's
 * `generation`. Implemented by storage/policy-store.ts (Postgres), which throws its VersionNotFoundError for an
 * unknown version and ActiveVersionChangedError when an entity write raced an activation.
 */
import type { EntityJson } from './cedar.js';
import type { EntityUid } from './request.js';

export interface PolicySource {
  policies: string;
  schema: string;
}

export interface ActiveState extends PolicySource {
  version: number;
  generation: number;
  entities: EntityJson[];
}

export interface VersionSummary {
  version: number;
  checksum: string;
  comment: string | null;
  created_by: string | null;
  created_at: string;
  active: boolean;
}

export interface VersionDetail extends VersionSummary, PolicySource {}

export interface PolicyStore {
  /** The active version with its text and every stored entity; seeds `seed` into an empty store. */
  loadActive(seed: PolicySource): Promise<ActiveState>;
  listVersions(): Promise<VersionSummary[]>;
  getVersion(version: number): Promise<VersionDetail>;
  /** Stores a new immutable version (number = last + 1). Does not activate it. */
  publishVersion(source: PolicySource & { comment?: string; createdBy: string }): Promise<VersionSummary>;
  /**
   * Makes `version` the active one (also rollback). `check` runs inside the write, with the set locked, on the
   * version's text and the stored entities; it throws to refuse the activation.
   */
  activateVersion(
    version: number,
    check: (source: PolicySource, entities: EntityJson[]) => void,
  ): Promise<{ version: number; generation: number; previous: number | null }>;
  /** Inserts or replaces an entity while `expectedVersion` is still active; returns the new generation. */
  upsertEntity(
    expectedVersion: number,
    entity: { uid: EntityUid; attrs: Record<string, unknown>; parents: EntityUid[] },
  ): Promise<number>;
  /** Deletes a stored entity; the new generation, or null when there was no such entity. */
  deleteEntity(uid: EntityUid): Promise<number | null>;
  /** Stored entities in (type, id) order, optionally of one type, after the `after` cursor. */
  listEntities(opts: { type?: string; after?: EntityUid; limit: number }): Promise<EntityJson[]>;
}

/** The fast copy of a set's generation that isolates poll (Redis); it only ever moves forward. */
export interface GenerationSignal {
  /** The published generation, or null when none is published yet. */
  read(timeoutMs: number): Promise<number | null>;
  /** Raises the published generation to `generation` (no-op when it already is that or later). */
  publish(generation: number, timeoutMs: number): Promise<void>;
}
