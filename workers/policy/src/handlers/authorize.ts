/** `POST /v1/authorize` and `POST /v1/authorize/batch`: Cedar decisions with the active policy version. */
import { requireStaticBearer } from '../../../../shared/bearer.js';
import { secureJson } from '../../../../shared/security-headers.js';
import { batchBody, decisionBody, parseBatch } from '../domain/authorize.js';
import { LIMITS } from '../domain/limits.js';
import { parseAuthorizationRequest } from '../domain/request.js';
import type { PolicyContext } from '../services.js';
import { readJson } from './common.js';

/**
 * When POLICY_API_TOKEN is configured, decisions require it as a bearer token. Service-binding callers pass
 * it (shared/policy-client.ts); without it the decision point must only be reachable through bindings. Called first
 * by both decision handlers rather than as middleware: a middleware layer is another async hop on every decision.
 */
function requireCaller(c: PolicyContext): void {
  const token = c.get('services').config.POLICY_API_TOKEN;
  if (token) {
    const detail = 'the decision API requires the POLICY_API_TOKEN bearer token';
    requireStaticBearer(c.req.header('authorization'), token, 'policy', detail);
  }
}

export async function authorizeOne(c: PolicyContext) {
  requireCaller(c);
  // Parse (and reject) before touching the store: an invalid request costs no I/O.
  const request = parseAuthorizationRequest(await readJson(c));
  const active = c.get('services').active;
  const snapshot = active.fresh() ?? (await active.current());
  return secureJson(c.env, decisionBody(snapshot, request, c.get('requestId')));
}

/** The batch route's own body limit, sized for its item limit (domain/limits.ts). */
export const BATCH_BODY_LIMIT = { bytes: LIMITS.max_batch_request_bytes, name: 'max_batch_request_bytes' } as const;

export async function authorizeBatch(c: PolicyContext) {
  requireCaller(c);
  const items = parseBatch(await readJson(c, BATCH_BODY_LIMIT));
  const active = c.get('services').active;
  const snapshot = items.some((i) => 'request' in i) ? (active.fresh() ?? (await active.current())) : undefined;
  return secureJson(c.env, batchBody(snapshot, items));
}
