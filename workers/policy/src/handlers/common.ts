/** Helpers every policy handler uses: typed config, bounded JSON bodies, admin guard with audit events. */
import type { ServiceContext } from '../../../../shared/app.js';
import { readBodyText } from '../../../../shared/body.js';
import { malformedBody, ProblemError, unsupportedMediaType } from '../../../../shared/errors.js';
import { emitSecurityEvent, requestOrigin } from '../../../../shared/events.js';
import { type PolicyConfig, readPolicyConfig } from '../config.js';
import { type AdminAccess, type PolicyAdminAction, requirePolicyAdmin } from '../domain/admin-access.js';
import type { Env } from '../env.js';

export type PolicyContext = ServiceContext<Env>;

export const policyConfig = (c: PolicyContext): PolicyConfig => readPolicyConfig(c.env as object);

/**
 * Reads a JSON body within MAX_BODY_BYTES (413 beyond, naming the limit). Depth and size limits of the
 * decoded value are checked by the domain parsers, which name the limit they enforce.
 */
export async function readJson(c: PolicyContext): Promise<unknown> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type !== 'application/json' && !type.endsWith('+json')) throw unsupportedMediaType('application/json');
  const limit = policyConfig(c).MAX_BODY_BYTES;
  let text: string;
  try {
    text = await readBodyText(c.req.raw, limit);
  } catch (err) {
    if (err instanceof ProblemError && err.status === 413) {
      throw new ProblemError(
        'ERR_BODY_TOO_LARGE',
        413,
        'Payload Too Large',
        `request body exceeds max_request_bytes (${limit})`,
        {
          limit: 'max_request_bytes',
          max: limit,
        },
      );
    }
    throw err;
  }
  if (text.trim() === '') throw malformedBody('request body is empty');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw malformedBody(`request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** Authenticates and authorizes an admin call (see domain/admin-access.ts); a denial is audited. */
export async function guard(c: PolicyContext, action: PolicyAdminAction): Promise<AdminAccess> {
  const config = policyConfig(c);
  try {
    return await requirePolicyAdmin(config, c.req.header('authorization'), action, {
      method: c.req.method,
      path: c.req.path,
    });
  } catch (err) {
    if (err instanceof ProblemError && err.status === 403) {
      emitSecurityEvent(c.executionCtx, config, 'policy', {
        type: 'authorization.denied',
        outcome: 'denied',
        request_id: c.get('requestId'),
        ...requestOrigin(c.req.raw),
        details: { action, resource: 'AdminEndpoint::"policy"', reason: err.message },
      });
    }
    throw err;
  }
}
