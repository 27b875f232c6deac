/**
 * Entity data for one decision: the stored entities (policy store) and the request's own entities.
 *
 * Stored entities are authoritative, per entity: when the store holds a uid, that entity is used exactly as stored
 * (attributes, parents, tags), and a supplied entity with the same uid is ignored (and listed, so a caller can see
 * its integration sends data the store overrides). A supplied entity the store does not have is used as given.
 * Merging per attribute would not do: a request adding `owner` to a stored Resource that has none would still
 * grant `owner-read`. What the operator stored (a Resource's `sensitive`, a Client's `status`, an Admin's
 * `clearance`) therefore cannot be changed by whoever calls the decision API.
 *
 * Only what evaluation can reach is handed to Cedar: every request entity, plus the stored entities reachable
 * from the principal, the resource, entity references in the context, entities named in the policies, and,
 * transitively, from their parents and entity-valued attributes. Cedar can read nothing else, and stored
 * entities are validated against the schema when written and when a version is activated, so leaving the
 * unreachable ones out cannot change a decision; it keeps the marshalling cost independent of the store size.
 */
import type { CedarValueJson, EntityJson } from './cedar.js';
import type { EntityInput, EntityUid } from './request.js';
import { uidKey } from './request.js';

export type EntityIndex = ReadonlyMap<string, EntityJson>;

export function indexEntities(entities: readonly EntityJson[]): Map<string, EntityJson> {
  const index = new Map<string, EntityJson>();
  for (const e of entities) index.set(uidKey(e.uid as EntityUid), e);
  return index;
}

/** Entity references anywhere inside a Cedar JSON value: `{"__entity": {type, id}}` or a bare `{type, id}`. */
export function collectRefs(value: CedarValueJson | undefined, out: EntityUid[]): void {
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    for (const v of value) collectRefs(v, out);
    return;
  }
  const v = value as Record<string, CedarValueJson>;
  const entity = v.__entity as Record<string, unknown> | undefined;
  if (entity && typeof entity.type === 'string' && typeof entity.id === 'string') {
    out.push({ type: entity.type, id: entity.id });
    return;
  }
  // With a schema, an entity-typed attribute may be written without the __entity escape.
  if (typeof v.type === 'string' && typeof v.id === 'string') out.push({ type: v.type, id: v.id });
  for (const k in v) collectRefs(v[k], out);
}

/** The entity to decide with for one uid: the stored one when there is one, else the supplied one. */
export function entityFor(stored: EntityJson | undefined, supplied: EntityInput | undefined): EntityJson | undefined {
  if (stored || !supplied) return stored;
  const e: EntityJson = { uid: supplied.uid, attrs: supplied.attrs, parents: supplied.parents ?? [] };
  if (supplied.tags) e.tags = supplied.tags;
  return e;
}

export interface RequestEntities {
  entities: EntityJson[];
  /** Supplied entities the store overrode (their uids), in request order. */
  ignored: EntityUid[];
}

/** The entities to give Cedar for one request (see the module comment). */
export function entitiesForRequest(
  stored: EntityIndex,
  supplied: readonly EntityInput[],
  roots: readonly EntityUid[],
): RequestEntities {
  const overlay = new Map<string, EntityInput>();
  const ignored: EntityUid[] = [];
  for (const e of supplied) {
    const key = uidKey(e.uid);
    if (stored.has(key)) ignored.push(e.uid);
    else overlay.set(key, e);
  }
  const out: EntityJson[] = [];
  const seen = new Set<string>();
  const queue: EntityUid[] = [...supplied.map((e) => e.uid), ...roots];
  while (queue.length > 0) {
    const uid = queue.pop() as EntityUid;
    const key = uidKey(uid);
    if (seen.has(key)) continue;
    seen.add(key);
    const entity = entityFor(stored.get(key), overlay.get(key));
    if (!entity) continue;
    out.push(entity);
    for (const p of entity.parents) queue.push(p as EntityUid);
    const refs: EntityUid[] = [];
    for (const k in entity.attrs) collectRefs(entity.attrs[k], refs);
    if (entity.tags) for (const k in entity.tags) collectRefs(entity.tags[k], refs);
    queue.push(...refs);
  }
  return { entities: out, ignored };
}
