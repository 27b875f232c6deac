/**
 * One authorization decision: the request, the compiled active version and the stored entities in, Cedar's
 * decision out. Synchronous (Cedar runs in this isolate), so a decision always uses one consistent version.
 */
import { engine } from './cedar.js';
import { collectRefs, type EntityIndex, entitiesForRequest } from './entities.js';
import type { CompiledPolicySet } from './policy-set.js';
import type { AuthorizationRequest, EntityUid } from './request.js';

export interface DecisionError {
  /** The policy whose evaluation failed; null when Cedar rejected the request itself (e.g. against the schema). */
  policy_id: string | null;
  message: string;
}

export interface Decision {
  decision: 'Allow' | 'Deny';
  reasons: string[];
  errors: DecisionError[];
  /** Supplied entities the store overrode (domain/entities.ts): stored entities are authoritative. */
  ignored: EntityUid[];
}

const MISSING_PREPARSED = /preparsed (policy set|schema) .* not found/i;

/**
 * Evaluates `request` with Cedar. A request Cedar refuses (unknown action or entity type, context or entity
 * data not matching the schema) is a Deny carrying Cedar's messages, never an Allow.
 */
export function decide(set: CompiledPolicySet, stored: EntityIndex, request: AuthorizationRequest): Decision {
  let slice = set.sliceFor(request.action, request.principal.type, request.resource.type);
  const roots: EntityUid[] = [request.principal, request.resource, ...slice.literals];
  for (const k in request.context) collectRefs(request.context[k], roots);
  const { entities, ignored } = entitiesForRequest(stored, request.entities, roots);
  for (let attempt = 0; ; attempt++) {
    const answer = engine().statefulIsAuthorized({
      principal: request.principal,
      action: request.action,
      resource: request.resource,
      context: request.context,
      entities,
      preparsedPolicySetId: slice.policySetId,
      preparsedSchemaName: slice.schemaName,
      validateRequest: true,
    });
    if (answer.type === 'success') {
      const { decision, diagnostics } = answer.response;
      return {
        decision: decision === 'allow' ? 'Allow' : 'Deny',
        reasons: [...diagnostics.reason].sort(),
        errors: diagnostics.errors.map((e) => ({ policy_id: e.policyId, message: e.error.message })),
        ignored,
      };
    }
    // Cedar's pre-parsed registry is per isolate; if an entry is gone, register again once.
    if (attempt === 0 && answer.errors.some((e) => MISSING_PREPARSED.test(e.message))) {
      set.resetSlices();
      slice = set.sliceFor(request.action, request.principal.type, request.resource.type);
      continue;
    }
    return {
      decision: 'Deny',
      reasons: [],
      errors: answer.errors.map((e) => ({ policy_id: null, message: e.message })),
      ignored,
    };
  }
}
