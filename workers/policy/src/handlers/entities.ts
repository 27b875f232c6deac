/**
 * Stored entities (attributes and parents merged into every decision that reaches them): list, upsert,
 * delete. Writes are validated against the active version's schema and take effect everywhere within
 * seconds, like an activation.
 */
import {
  conflict,
  dependencyUnavailable,
  notFound,
  ProblemError,
  validationFailed,
} from '../../../../shared/errors.js';
import { emitSecurityEvent, requestOrigin } from '../../../../shared/events.js';
import type { PolicyConfig } from '../config.js';
import { invalidateActiveSnapshot } from '../domain/active-set.js';
import { engine } from '../domain/cedar.js';
import { type EntityUid, parseEntityBody, parseUid } from '../domain/request.js';
import { toSourceError } from '../domain/policy-set.js';
import { publishGeneration } from '../storage/generation-signal.js';
import { ActiveVersionChangedError, deleteEntity, listEntities, upsertEntity } from '../storage/policy-store.js';
import { guard, type PolicyContext, policyConfig, readJson } from './common.js';

const SIGNAL_DEADLINE_MS = 2_000;

function uidParams(c: PolicyContext): EntityUid {
  try {
    return parseUid({ type: c.req.param('type'), id: c.req.param('id') }, 'entity');
  } catch (err) {
    if (err instanceof ProblemError) throw notFound(err.message);
    throw err;
  }
}

async function signal(config: PolicyConfig, generation: number): Promise<void> {
  invalidateActiveSnapshot(config);
  try {
    await publishGeneration(config, config.POLICY_SET_ID, generation, SIGNAL_DEADLINE_MS);
  } catch (err) {
    throw dependencyUnavailable(
      `the entity change is committed but could not be signalled to other isolates (${(err as Error).message}); repeat the request`,
    );
  }
}

function audit(c: PolicyContext, config: PolicyConfig, actor: string, op: string, uid: EntityUid) {
  emitSecurityEvent(c.executionCtx, config, 'policy', {
    type: 'admin.action',
    outcome: 'success',
    request_id: c.get('requestId'),
    ...requestOrigin(c.req.raw),
    details: { action: `entities.${op}`, entity: `${uid.type}::${JSON.stringify(uid.id)}`, actor },
  });
}

/** `GET /v1/entities?type=&after_type=&after_id=&limit=` in (type, id) order. */
export async function listStoredEntities(c: PolicyContext) {
  await guard(c, 'Admin_entities_read');
  const config = policyConfig(c);
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
  const entities = await listEntities(config, config.POLICY_SET_ID, { type, after, limit });
  const last = entities.length === limit ? entities[entities.length - 1] : undefined;
  return c.json({ policy_set: config.POLICY_SET_ID, entities, next: last ? last.uid : null });
}

/** `PUT /v1/entities/:type/:id` `{attrs?, parents?}`: validated against the active schema (Cedar's messages on 400). */
export async function putStoredEntity(c: PolicyContext) {
  const { principal, snapshot } = await guard(c, 'Admin_entities_write');
  const config = policyConfig(c);
  const entity = parseEntityBody(uidParams(c), await readJson(c));
  const check = engine().checkParseEntities({ entities: [entity], schema: snapshot.set.schema });
  if (check.type === 'failure') {
    throw new ProblemError('ERR_VALIDATION', 400, 'Invalid Entity', check.errors.map((e) => e.message).join('; '), {
      errors: check.errors.map((e) => toSourceError('entities', e)),
    });
  }
  let generation: number;
  try {
    generation = await upsertEntity(config, config.POLICY_SET_ID, snapshot.version, entity);
  } catch (err) {
    if (err instanceof ActiveVersionChangedError) throw conflict(err.message);
    throw err;
  }
  await signal(config, generation);
  audit(c, config, principal.id, 'upsert', entity.uid);
  return c.json({ policy_set: config.POLICY_SET_ID, ...entity, validated_against_version: snapshot.version });
}

export async function deleteStoredEntity(c: PolicyContext) {
  const { principal } = await guard(c, 'Admin_entities_write');
  const config = policyConfig(c);
  const uid = uidParams(c);
  const generation = await deleteEntity(config, config.POLICY_SET_ID, uid);
  if (generation === null) throw notFound(`no stored entity ${uid.type}::${JSON.stringify(uid.id)}`);
  await signal(config, generation);
  audit(c, config, principal.id, 'delete', uid);
  return c.body(null, 204);
}
