/**
 * Client of the policy Worker's decision API (`POST /v1/authorize`) for the other Workers, over their `POLICY`
 * service binding.
 *
 * Fail closed: `authorize` returns a decision only when the policy Worker answered 200 with a well-formed
 * decision. Anything else (no binding, timeout, network error, non-200, unreadable or malformed body) throws
 * `PolicyUnavailableError`, which callers map to 503. Nothing here ever turns a failure into an Allow.
 *
 * Admin principals (shared/admin/credentials.ts) become `Admin` entities whose `roles` and a fixed set of
 * attributes travel with the request (`adminPrincipalEntity`); other attributes are dropped because the
 * policy schema would reject them. Data the credential does not carry (clearance, group membership) belongs
 * in the policy store's entities, which the policy Worker merges under the request's attributes.
 */
import type { AdminDecider } from './admin/authorize.js';
import { adminPrincipalEntity, type EntityRef, type PolicyEntity } from './admin/entity.js';
import { dependencyUnavailable } from './errors.js';
import type { RequestIdentity } from './request-context.js';
import { callService } from './service-client.js';

export interface AuthorizeInput {
  principal: EntityRef;
  /** `{type: "Action", id}`, `Action::"id"`, or the legacy string form `"Admin::keys_rotate"` (→ `Action::"Admin_keys_rotate"`). */
  action: string | EntityRef;
  resource: EntityRef;
  context?: Record<string, unknown>;
  entities?: PolicyEntity[];
}

export interface AuthorizeOptions {
  identity: RequestIdentity;
  timeoutMs: number;
  /** POLICY_API_TOKEN, when the policy Worker requires one. */
  token?: string;
}

export interface PolicyDecision {
  decision: 'Allow' | 'Deny';
  request_id: string;
  policy_version: number;
  reasons: string[];
  errors: { policy_id: string | null; message: string }[];
}

export class PolicyUnavailableError extends Error {
  readonly code = 'ERR_POLICY_UNAVAILABLE';
  constructor(reason: string) {
    super(`policy service unavailable: ${reason}`);
    this.name = 'PolicyUnavailableError';
  }
}

/** Checks the answer's shape strictly; a decision we cannot read is no decision. */
export function parseDecision(body: unknown): PolicyDecision {
  if (typeof body !== 'object' || body === null) throw new PolicyUnavailableError('answer is not a JSON object');
  const b = body as Record<string, unknown>;
  if (b.decision !== 'Allow' && b.decision !== 'Deny') throw new PolicyUnavailableError('answer has no decision');
  if (typeof b.policy_version !== 'number' || !Number.isInteger(b.policy_version)) {
    throw new PolicyUnavailableError('answer has no policy_version');
  }
  if (!Array.isArray(b.reasons) || !b.reasons.every((r) => typeof r === 'string')) {
    throw new PolicyUnavailableError('answer has malformed reasons');
  }
  if (!Array.isArray(b.errors)) throw new PolicyUnavailableError('answer has malformed errors');
  return {
    decision: b.decision,
    request_id: typeof b.request_id === 'string' ? b.request_id : '',
    policy_version: b.policy_version,
    reasons: b.reasons as string[],
    errors: b.errors as PolicyDecision['errors'],
  };
}

/** Asks the policy Worker for one decision. Throws `PolicyUnavailableError` on any failure (never Allows). */
export async function authorize(
  binding: Fetcher | undefined,
  input: AuthorizeInput,
  opts: AuthorizeOptions,
): Promise<PolicyDecision> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let res: Response;
  try {
    res = await callService(binding, 'policy', '/v1/authorize', {
      method: 'POST',
      headers,
      body: JSON.stringify({ request_id: opts.identity.requestId, ...input }),
      timeoutMs: opts.timeoutMs,
      identity: opts.identity,
    });
  } catch (err) {
    throw new PolicyUnavailableError((err as Error).message);
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => {});
    throw new PolicyUnavailableError(`answered HTTP ${res.status}`);
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new PolicyUnavailableError('answer is not JSON');
  }
  return parseDecision(body);
}

/**
 * The admin-authorization decider of the Workers that are not the policy Worker: asks it over the `POLICY` service
 * binding. A policy Worker that cannot decide (no binding, timeout, error, malformed answer) is a 503.
 */
export function remotePolicyDecider(
  binding: Fetcher | undefined,
  opts: { token: string | undefined; timeoutMs: number },
): AdminDecider<PolicyDecision> {
  return {
    async decide(principal, action, resource, context, request) {
      let decision: PolicyDecision;
      try {
        decision = await authorize(
          binding,
          {
            principal: { type: 'Admin', id: principal.id },
            action: { type: 'Action', id: action },
            resource,
            context,
            entities: [adminPrincipalEntity(principal)],
          },
          { identity: request.identity, timeoutMs: opts.timeoutMs, token: opts.token },
        );
      } catch (err) {
        if (err instanceof PolicyUnavailableError) throw dependencyUnavailable(err.message);
        throw err;
      }
      return { allow: decision.decision === 'Allow', detail: decision };
    },
  };
}
