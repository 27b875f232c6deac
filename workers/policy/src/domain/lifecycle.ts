/**
 * Checks guarding the policy lifecycle. Activation (also rollback) is refused, with Cedar's messages, when
 * - the stored entities do not conform to the version's schema (decisions would fail on them), or
 * - the version would deny a superadmin `Admin_policy_activate` on the policy store: nobody could ever
 *   change the policy again through the API, so the platform refuses to lock itself out.
 */
import { ProblemError } from '../../../../shared/errors.js';
import type { EntityJson } from './cedar.js';
import { engine } from './cedar.js';
import { decide } from './decide.js';
import { adminAuthorizationRequest } from './admin-access.js';
import { indexEntities } from './entities.js';
import { CompiledPolicySet } from './policy-set.js';
import { type SourceError, toSourceError } from './policy-source.js';

export class ActivationRefusedError extends ProblemError {
  constructor(detail: string, errors: SourceError[]) {
    super('ERR_CONFLICT', 409, 'Activation Refused', detail, { errors });
    this.name = 'ActivationRefusedError';
  }
}

export function checkEntitiesConform(set: CompiledPolicySet, entities: EntityJson[]): void {
  if (entities.length === 0) return;
  const answer = engine().checkParseEntities({ entities, schema: set.schema });
  if (answer.type === 'failure') {
    throw new ActivationRefusedError(
      `stored entities do not conform to the schema of version ${set.version}`,
      answer.errors.map((e) => toSourceError('entities', e)),
    );
  }
}

/** Runs inside the activation transaction; throws `ActivationRefusedError` to refuse. */
export function checkActivation(version: number, source: { policies: string; schema: string }, entities: EntityJson[]) {
  const set = new CompiledPolicySet({ version, ...source });
  try {
    checkEntitiesConform(set, entities);
    const guard = decide(
      set,
      indexEntities(entities),
      adminAuthorizationRequest({ id: 'bootstrap', roles: ['superadmin'], attributes: {} }, 'Admin_policy_activate', {
        method: 'POST',
        path: `/v1/policies/versions/${version}/activate`,
      }),
    );
    if (guard.decision !== 'Allow') {
      throw new ActivationRefusedError(
        `version ${version} would deny superadmins Admin_policy_activate on AdminEndpoint::"policy", locking the policy store`,
        guard.errors.map((e) => ({ policy_id: e.policy_id, kind: 'validation' as const, message: e.message })),
      );
    }
  } finally {
    set.dispose();
  }
}
