/**
 * Stored entities (authoritative in every decision that reaches them): list, upsert, delete. Writes are validated
 * against the active version's schema and take effect everywhere within seconds, like an activation. Types whose
 * attributes belong to the admin credential (`Admin`) are refused: 403, before the body is read.
 */
import { conflict, forbidden, notFound, ProblemError, validationFailed } from '../../../../shared/errors.js';
import { CREDENTIAL_MANAGED_TYPES } from '../domain/admin-access.js';
import { engine } from '../domain/cedar.js';
import { toSourceError } from '../domain/policy-source.js';
import { type EntityUid, parseEntityBody, parseUid } from '../domain/request.js';
import type { PolicyContext } from '../services.js';
import { ActiveVersionChangedError } from '../storage/policy-store.js';
import { audit, guard, type PolicyAdminAccess, readJson, signalChange } from './common.js';

function uidParams(c: PolicyContext): EntityUid {
  try {
    return parseUid({ type: c.req.param('type'), id: c.req.param('id') }, 'entity');
  } catch (err) {
    if (err instanceof ProblemError) throw notFound(err.message);
    throw err;
  }
}

/** The uid of a write or delete, refused for credential-managed types (domain/admin-access.ts). */
function writableUid(c: PolicyContext): EntityUid {
  const uid = uidParams(c);
  if (CREDENTIAL_MANAGED_TYPES.has(uid.type)) {
    throw forbidden(`${uid.type} attributes are managed with the admin credential, not through the entity API`);
  }
  return uid;
}

function auditChange(c: PolicyContext, access: PolicyAdminAccess, op: string, uid: EntityUid): void {
  audit(c.get('services'), access, 'admin.action', {
    action: `entities.${op}`,
    entity: `${uid.type}::${JSON.stringify(uid.id)}`,
    actor: access.principal.id,
  });
}

/** `GET /v1/entities?type=&after_type=&after_id=&limit=` in (type, id) order. */
export async function listStoredEntities(c: PolicyContext) {
  await guard(c, 'Admin_entities_read');
  const { store, active } = c.get('services');
  const limitRaw = c.req.query('limit') ?? '100';
  if (!/^[1-9][0-9]{0,3}$/.test(limitRaw) || Number(limitRaw) > 1000) throw validationFailed('limit must be 1..1000');
  const limit = Number(limitRaw);
  const type = c.req.query('type');
  const afterType = c.req.query('after_type');
  const afterId = c.req.query('after_id');
  let after: EntityUid | undefined;
  try {
    if (type !== undefined) parseUid({ type, id: '' }, 'type');
    if (afterType !== undefined || afterId !== undefined) after = parseUid({ type: afterType, id: afterId }, 'after');
  } catch (err) {
    if (err instanceof ProblemError) throw validationFailed(err.message);
    throw err;
  }
  const entities = await store.listEntities({ type, after, limit });
  const last = entities.length === limit ? entities[entities.length - 1] : undefined;
  return c.json({ policy_set: active.setId, entities, next: last ? last.uid : null });
}

/** `PUT /v1/entities/:type/:id` `{attrs?, parents?}`: validated against the active schema (Cedar's messages on 400). */
export async function putStoredEntity(c: PolicyContext) {
  const access = await guard(c, 'Admin_entities_write');
  const { snapshot } = access;
  const services = c.get('services');
  const uid = writableUid(c);
  const entity = parseEntityBody(uid, await readJson(c));
  const check = engine().checkParseEntities({ entities: [entity], schema: snapshot.set.schema });
  if (check.type === 'failure') {
    throw new ProblemError('ERR_VALIDATION', 400, 'Invalid Entity', check.errors.map((e) => e.message).join('; '), {
      errors: check.errors.map((e) => toSourceError('entities', e)),
    });
  }
  let generation: number;
  try {
    generation = await services.store.upsertEntity(snapshot.version, entity);
  } catch (err) {
    if (err instanceof ActiveVersionChangedError) throw conflict(err.message);
    throw err;
  }
  await signalChange(services, generation, 'the entity change');
  auditChange(c, access, 'upsert', entity.uid);
  return c.json({ policy_set: services.active.setId, ...entity, validated_against_version: snapshot.version });
}

export async function deleteStoredEntity(c: PolicyContext) {
  const access = await guard(c, 'Admin_entities_write');
  const services = c.get('services');
  const uid = writableUid(c);
  const generation = await services.store.deleteEntity(uid);
  if (generation === null) throw notFound(`no stored entity ${uid.type}::${JSON.stringify(uid.id)}`);
  await signalChange(services, generation, 'the entity change');
  auditChange(c, access, 'delete', uid);
  return c.body(null, 204);
}
