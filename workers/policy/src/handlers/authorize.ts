/** `POST /v1/authorize` and `POST /v1/authorize/batch`: Cedar decisions with the active policy version. */
import { timingSafeEqualStrings } from '../../../../shared/crypto.js';
import { unauthorized } from '../../../../shared/errors.js';
import { activeSnapshot } from '../domain/active-set.js';
import { batchBody, decisionBody, parseBatch } from '../domain/authorize.js';
import { parseAuthorizationRequest } from '../domain/request.js';
import { type PolicyContext, policyConfig, readJson } from './common.js';

/**
 * When POLICY_API_TOKEN is configured, decisions require it as a bearer token. Service-binding callers pass
 * it (shared/policy-client.ts); without it the decision point must only be reachable through bindings.
 */
export async function requireCaller(c: PolicyContext, next: () => Promise<void>): Promise<void> {
  const token = policyConfig(c).POLICY_API_TOKEN;
  if (token) {
    const header = c.req.header('authorization') ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!(await timingSafeEqualStrings(presented, token))) {
      throw unauthorized('the decision API requires the POLICY_API_TOKEN bearer token', 'Bearer realm="policy"');
    }
  }
  await next();
}

export async function authorizeOne(c: PolicyContext) {
  // Parse (and reject) before touching the store: an invalid request costs no I/O.
  const request = parseAuthorizationRequest(await readJson(c));
  const snapshot = await activeSnapshot(policyConfig(c));
  return c.json(decisionBody(snapshot, request, c.get('requestId')));
}

export async function authorizeBatch(c: PolicyContext) {
  const items = parseBatch(await readJson(c));
  const snapshot = items.some((i) => 'request' in i) ? await activeSnapshot(policyConfig(c)) : undefined;
  return c.json(batchBody(snapshot, items));
}
