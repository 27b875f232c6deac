/**
 * Policy store administration: publish, list, read and activate versions (activation is also rollback).
 * Every route is authenticated (admin credential) and authorized by the active policy version.
 */
import { dependencyUnavailable, notFound, ProblemError, validationFailed } from '../../../../shared/errors.js';
import { emitSecurityEvent, requestOrigin } from '../../../../shared/events.js';
import type { PolicyConfig } from '../config.js';
import { activeSnapshot, invalidateActiveSnapshot } from '../domain/active-set.js';
import { adminRequest } from '../domain/admin-access.js';
import { decide } from '../domain/decide.js';
import { checkActivation } from '../domain/lifecycle.js';
import { CompiledPolicySet, PolicySourceError } from '../domain/policy-set.js';
import { publishGeneration } from '../storage/generation-signal.js';
import {
  activateVersion,
  getVersion,
  listVersions,
  publishVersion,
  VersionNotFoundError,
} from '../storage/policy-store.js';
import { guard, type PolicyContext, policyConfig, readJson } from './common.js';

const MAX_POLICY_TEXT = 512 * 1024;
const MAX_COMMENT = 1_000;
const SIGNAL_DEADLINE_MS = 2_000;

function versionParam(c: PolicyContext): number {
  const raw = c.req.param('version') ?? '';
  if (!/^[1-9][0-9]{0,8}$/.test(raw)) throw notFound(`no policy version "${raw}"`);
  return Number(raw);
}

function sourceErrorResponse(err: PolicySourceError): ProblemError {
  return new ProblemError('ERR_VALIDATION', 400, 'Invalid Policy Set', err.message, { errors: err.errors });
}

/** Raises the Redis generation; failing that, the store changed but other isolates would not know: 503. */
async function signal(config: PolicyConfig, generation: number, what: string): Promise<void> {
  invalidateActiveSnapshot(config);
  try {
    await publishGeneration(config, config.POLICY_SET_ID, generation, SIGNAL_DEADLINE_MS);
  } catch (err) {
    throw dependencyUnavailable(
      `${what} is committed but could not be signalled to other isolates (${(err as Error).message}); repeat the request`,
    );
  }
}

async function activate(c: PolicyContext, version: number, actor: string) {
  const config = policyConfig(c);
  let result: Awaited<ReturnType<typeof activateVersion>>;
  try {
    result = await activateVersion(config, config.POLICY_SET_ID, version, (source, entities) =>
      checkActivation(version, source, entities),
    );
  } catch (err) {
    if (err instanceof VersionNotFoundError) throw notFound(err.message);
    throw err;
  }
  await signal(config, result.generation, `activation of version ${version}`);
  emitSecurityEvent(c.executionCtx, config, 'policy', {
    type: 'policy.activated',
    outcome: 'success',
    request_id: c.get('requestId'),
    ...requestOrigin(c.req.raw),
    details: { policy_set: config.POLICY_SET_ID, version, previous: result.previous, actor },
  });
  return { policy_set: config.POLICY_SET_ID, active_version: version, previous_version: result.previous };
}

export async function listPolicyVersions(c: PolicyContext) {
  await guard(c, 'Admin_policy_read');
  const config = policyConfig(c);
  const versions = await listVersions(config, config.POLICY_SET_ID);
  return c.json({
    policy_set: config.POLICY_SET_ID,
    active_version: versions.find((v) => v.active)?.version ?? null,
    versions,
  });
}

export async function readPolicyVersion(c: PolicyContext) {
  await guard(c, 'Admin_policy_read');
  const config = policyConfig(c);
  try {
    return c.json({
      policy_set: config.POLICY_SET_ID,
      ...(await getVersion(config, config.POLICY_SET_ID, versionParam(c))),
    });
  } catch (err) {
    if (err instanceof VersionNotFoundError) throw notFound(err.message);
    throw err;
  }
}

export async function readActivePolicy(c: PolicyContext) {
  const { snapshot } = await guard(c, 'Admin_policy_read');
  const config = policyConfig(c);
  return c.json({
    policy_set: config.POLICY_SET_ID,
    ...(await getVersion(config, config.POLICY_SET_ID, snapshot.version)),
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
  if (wantActivate) {
    // Publishing and activating in one call needs both permissions.
    const snapshot = await activeSnapshot(policyConfig(c));
    const d = decide(
      snapshot.set,
      snapshot.entities,
      adminRequest(access.principal, 'Admin_policy_activate', { method: c.req.method, path: c.req.path }),
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
  const config = policyConfig(c);
  const published = await publishVersion(config, config.POLICY_SET_ID, {
    ...source,
    comment: comment as string | undefined,
    createdBy: access.principal.id,
  });
  emitSecurityEvent(c.executionCtx, config, 'policy', {
    type: 'policy.published',
    outcome: 'success',
    request_id: c.get('requestId'),
    ...requestOrigin(c.req.raw),
    details: { policy_set: config.POLICY_SET_ID, version: published.version, actor: access.principal.id },
  });
  const activation = wantActivate ? await activate(c, published.version, access.principal.id) : undefined;
  return c.json({ policy_set: config.POLICY_SET_ID, ...published, active: Boolean(activation), warnings }, 201, {
    location: `/v1/policies/versions/${published.version}`,
  });
}

/** `POST /v1/policies/versions/:version/activate`: makes the version active everywhere within seconds. */
export async function activatePolicyVersion(c: PolicyContext) {
  const access = await guard(c, 'Admin_policy_activate');
  return c.json(await activate(c, versionParam(c), access.principal.id));
}
