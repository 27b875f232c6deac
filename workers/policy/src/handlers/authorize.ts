/** `POST /v1/authorize` and `POST /v1/authorize/batch`: Cedar decisions with the active policy version. */
import { requireStaticBearer } from '../../../../shared/bearer.js';
import { batchBody, decisionBody, parseBatch } from '../domain/authorize.js';
import { LIMITS } from '../domain/limits.js';
import { parseAuthorizationRequest } from '../domain/request.js';
import type { PolicyContext } from '../services.js';
import { readJson } from './common.js';

/**
 * When POLICY_API_TOKEN is configured, decisions require it as a bearer token. Service-binding callers pass
 * it (shared/policy-client.ts); without it the decision point must only be reachable through bindings.
 */
export async function requireCaller(c: PolicyContext, next: () => Promise<void>): Promise<void> {
  const token = c.get('services').config.POLICY_API_TOKEN;
  // Awaited only when a token is configured: the decision path takes no extra hop otherwise.
  if (token) {
    const detail = 'the decision API requires the POLICY_API_TOKEN bearer token';
    await requireStaticBearer(c.req.header('authorization'), token, 'policy', detail);
  }
  await next();
}

export async function authorizeOne(c: PolicyContext) {
  // Parse (and reject) before touching the store: an invalid request costs no I/O.
  const request = parseAuthorizationRequest(await readJson(c));
  const snapshot = await c.get('services').active.current();
  return c.json(decisionBody(snapshot, request, c.get('requestId')));
}

/** The batch route's own body limit, sized for its item limit (domain/limits.ts). */
export const BATCH_BODY_LIMIT = { bytes: LIMITS.max_batch_request_bytes, name: 'max_batch_request_bytes' } as const;

export async function authorizeBatch(c: PolicyContext) {
  const items = parseBatch(await readJson(c, BATCH_BODY_LIMIT));
  const snapshot = items.some((i) => 'request' in i) ? await c.get('services').active.current() : undefined;
  return c.json(batchBody(snapshot, items));
}
