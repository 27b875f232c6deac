/**
 * Client of the policy Worker's decision API (`POST /v1/authorize`) for the other Workers, over their `POLICY`
 * service binding.
 *
 * Fail closed: `authorize` returns a decision only when the policy Worker answered 200 with a well-formed
 * decision. Anything else (no binding, timeout, network error, non-200, unreadable or malformed body) throws
 * `PolicyUnavailableError`, which callers map to 503. Nothing here ever turns a failure into an Allow.
 *
 * Admin principals (shared/admin-auth.ts) become `Admin` entities whose `roles` and a fixed set of
 * attributes travel with the request (`adminPrincipalEntity`); other attributes are dropped because the
 * policy schema would reject them. Data the credential does not carry (clearance, group membership) belongs
 * in the policy store's entities, which the policy Worker merges under the request's attributes.
 */
import type { AdminPrincipal } from './admin-auth.js';
import type { ServiceContext } from './app.js';
import { identityOf } from './app.js';
import { type CommonBindings, readCommonConfig } from './env.js';
import { dependencyUnavailable, forbidden } from './errors.js';
import type { RequestIdentity } from './request-context.js';
import { callService } from './service-client.js';

export interface EntityRef {
  type: string;
  id: string;
}

export interface PolicyEntity {
  uid: EntityRef;
  attrs?: Record<string, unknown>;
  /** Omit to keep the stored entity's parents; give (even empty) to replace them for this request. */
  parents?: EntityRef[];
}

export interface AuthorizeInput {
  principal: EntityRef;
  /** `{type: "Action", id}`, `Action::"id"`, or the original form `"Admin::keys_rotate"` (→ `Action::"Admin_keys_rotate"`). */
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

/** Admin attributes the shipped schema declares (besides `roles`) and that a credential may carry. */
export const ADMIN_ENTITY_ATTRIBUTES: Readonly<Record<string, 'boolean' | 'string'>> = {
  authenticated: 'boolean',
  mfa_verified: 'boolean',
  clearance: 'string',
  department: 'string',
};

/** The `Admin` entity for an authenticated admin principal: its roles plus the known, well-typed attributes. */
export function adminPrincipalEntity(principal: Pick<AdminPrincipal, 'id' | 'roles' | 'attributes'>): PolicyEntity {
  const attrs: Record<string, unknown> = { roles: [...new Set(principal.roles)] };
  for (const [name, type] of Object.entries(ADMIN_ENTITY_ATTRIBUTES)) {
    const value = principal.attributes?.[name];
    if (typeof value === type) attrs[name] = value;
  }
  return { uid: { type: 'Admin', id: principal.id }, attrs };
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

type PolicyCallerBindings = CommonBindings & { POLICY?: Fetcher; POLICY_API_TOKEN?: string };

/**
 * Authorizes an admin principal's action through the policy Worker: returns the decision on Allow, throws
 * `forbidden()` (403) on Deny and `dependencyUnavailable()` (503) when the policy Worker cannot decide.
 * `resource` is an entity or the id of an `AdminEndpoint` (the admin area, e.g. "keys").
 */
export async function requireAdminPermission<B extends PolicyCallerBindings>(
  c: ServiceContext<B>,
  principal: AdminPrincipal,
  action: string | EntityRef,
  resource: EntityRef | string,
  context?: Record<string, unknown>,
): Promise<PolicyDecision> {
  const target = typeof resource === 'string' ? { type: 'AdminEndpoint', id: resource } : resource;
  let decision: PolicyDecision;
  try {
    decision = await authorize(
      c.env.POLICY,
      {
        principal: { type: 'Admin', id: principal.id },
        action,
        resource: target,
        context: context ?? { method: c.req.method, path: c.req.path },
        entities: [adminPrincipalEntity(principal)],
      },
      {
        identity: identityOf(c),
        timeoutMs: readCommonConfig(c.env as object).SERVICE_TIMEOUT_MS,
        token: c.env.POLICY_API_TOKEN,
      },
    );
  } catch (err) {
    if (err instanceof PolicyUnavailableError) throw dependencyUnavailable(err.message);
    throw err;
  }
  if (decision.decision !== 'Allow') {
    const what = typeof action === 'string' ? action : `${action.type}::"${action.id}"`;
    throw forbidden(`${what} on ${target.type}::"${target.id}" is not allowed for Admin::"${principal.id}"`);
  }
  return decision;
}
