/**
 * Policy store administration: publish, list, read and activate versions (activation is also rollback).
 * Every route is authenticated (admin credential) and authorized by the active policy version.
 */
import { notFound, ProblemError, validationFailed } from '../../../../shared/errors.js';
import { adminAuthorizationRequest, CREDENTIAL_MANAGED_TYPES } from '../domain/admin-access.js';
import { decide } from '../domain/decide.js';
import { checkActivation } from '../domain/lifecycle.js';
import { CompiledPolicySet } from '../domain/policy-set.js';
import { PolicySourceError } from '../domain/policy-source.js';
import type { PolicyContext } from '../services.js';
import { VersionNotFoundError } from '../storage/policy-store.js';
import { audit, guard, type PolicyAdminAccess, readJson, signalChange } from './common.js';

const MAX_POLICY_TEXT = 512 * 1024;
const MAX_COMMENT = 1_000;

function versionParam(c: PolicyContext): number {
  const raw = c.req.param('version') ?? '';
  if (!/^[1-9][0-9]{0,8}$/.test(raw)) throw notFound(`no policy version "${raw}"`);
  return Number(raw);
}

function sourceErrorResponse(err: PolicySourceError): ProblemError {
  return new ProblemError('ERR_VALIDATION', 400, 'Invalid Policy Set', err.message, { errors: err.errors });
}

async function activate(c: PolicyContext, version: number, access: PolicyAdminAccess) {
  const services = c.get('services');
  const setId = services.active.setId;
  let result: Awaited<ReturnType<typeof services.store.activateVersion>>;
  let shadowing = 0;
  try {
    result = await services.store.activateVersion(version, (source, entities) => {
      checkActivation(version, source, entities);
      shadowing = entities.filter((e) => CREDENTIAL_MANAGED_TYPES.has((e.uid as { type: string }).type)).length;
    });
  } catch (err) {
    if (err instanceof VersionNotFoundError) throw notFound(err.message);
    throw err;
  }
  await signalChange(services, result.generation, `activation of version ${version}`);
  audit(services, access, 'policy.activated', {
    policy_set: setId,
    version,
    previous: result.previous,
    actor: access.principal.id,
  });
  // Stored Admin entities (left from before Admin attributes moved to the credential) win over what the calling
  // Workers send, roles included: say so, the operator should delete them (SQL: the entity API refuses the type).
  const warnings =
    shadowing > 0
      ? [`${shadowing} stored Admin entities override the roles and attributes of admin credentials; remove them`]
      : [];
  return { policy_set: setId, active_version: version, previous_version: result.previous, warnings };
}

export async function listPolicyVersions(c: PolicyContext) {
  await guard(c, 'Admin_policy_read');
  const { store, active } = c.get('services');
  const versions = await store.listVersions();
  return c.json({
    policy_set: active.setId,
    active_version: versions.find((v) => v.active)?.version ?? null,
    versions,
  });
}

export async function readPolicyVersion(c: PolicyContext) {
  await guard(c, 'Admin_policy_read');
  const { store, active } = c.get('services');
  try {
    return c.json({ policy_set: active.setId, ...(await store.getVersion(versionParam(c))) });
  } catch (err) {
    if (err instanceof VersionNotFoundError) throw notFound(err.message);
    throw err;
  }
}

export async function readActivePolicy(c: PolicyContext) {
  const { snapshot } = await guard(c, 'Admin_policy_read');
  const { store, active } = c.get('services');
  return c.json({
    policy_set: active.setId,
    ...(await store.getVersion(snapshot.version)),
    policy_ids: snapshot.set.policyIds,
  });
}

/**
 * `POST /v1/policies/versions` `{policies, schema?, comment?, activate?}`: validates the policies against the
 * schema (the active version's schema when none is given) with Cedar's strict validator and stores a new
 * immutable version. Invalid → 400 with Cedar's messages in `errors`. `activate: true` also activates it
 * (requires Admin_policy_activate as well).
 */
export async function publishPolicyVersion(c: PolicyContext) {
  const access = await guard(c, 'Admin_policy_publish');
  const body = await readJson(c);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw validationFailed('body must be a JSON object {policies, schema?, comment?, activate?}');
  }
  const { policies, schema, comment, activate: wantActivate, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw validationFailed(`${unknown} is not a field of a policy version`);
  if (typeof policies !== 'string') throw validationFailed('policies must be a string of Cedar policies');
  if (schema !== undefined && typeof schema !== 'string') {
    throw validationFailed('schema must be a string (Cedar schema syntax or JSON schema)');
  }
  if (policies.length > MAX_POLICY_TEXT || (schema?.length ?? 0) > MAX_POLICY_TEXT) {
    throw validationFailed(`policies and schema are limited to ${MAX_POLICY_TEXT} characters each`);
  }
  if (comment !== undefined && (typeof comment !== 'string' || comment.length > MAX_COMMENT)) {
    throw validationFailed(`comment must be a string of at most ${MAX_COMMENT} characters`);
  }
  if (wantActivate !== undefined && typeof wantActivate !== 'boolean')
    throw validationFailed('activate must be a boolean');
  const source = { policies, schema: schema ?? access.snapshot.source.schema };
  let warnings: unknown[];
  try {
    warnings = new CompiledPolicySet({ version: 0, ...source }).warnings;
  } catch (err) {
    if (err instanceof PolicySourceError) throw sourceErrorResponse(err);
    throw err;
  }
  const services = c.get('services');
  if (wantActivate) {
    // Publishing and activating in one call needs both permissions.
    const snapshot = await services.active.current();
    const d = decide(
      snapshot.set,
      snapshot.entities,
      adminAuthorizationRequest(access.principal, 'Admin_policy_activate', { method: c.req.method, path: c.req.path }),
    );
    if (d.decision !== 'Allow') {
      throw new ProblemError(
        'ERR_FORBIDDEN',
        403,
        'Forbidden',
        `Admin_policy_activate is denied for Admin::"${access.principal.id}"`,
      );
    }
  }
  const setId = services.active.setId;
  const published = await services.store.publishVersion({
    ...source,
    comment: comment as string | undefined,
    createdBy: access.principal.id,
  });
  audit(services, access, 'policy.published', {
    policy_set: setId,
    version: published.version,
    actor: access.principal.id,
  });
  const activation = wantActivate ? await activate(c, published.version, access) : undefined;
  return c.json({ policy_set: setId, ...published, active: Boolean(activation), warnings }, 201, {
    location: `/v1/policies/versions/${published.version}`,
  });
}

/** `POST /v1/policies/versions/:version/activate`: makes the version active everywhere within seconds. */
export async function activatePolicyVersion(c: PolicyContext) {
  const access = await guard(c, 'Admin_policy_activate');
  return c.json(await activate(c, versionParam(c), access));
}
