/**
 * RFC 8707 resource indicators at the token endpoint: which audiences (`aud`) a token is for.
 *
 * - Each requested `resource` must be an absolute URI without fragment and one of the client's
 *   `allowed_resources` (exact string match), otherwise `invalid_target`.
 * - Several `resource` parameters give a token with several audiences.
 * - Without `resource`, RFC 9068 §3 still requires an audience: the client's only allowed resource, or the
 *   configured default audience for a client with none. A client allowed several resources must say which
 *   one it wants (`invalid_target`, "missing" being one of the cases RFC 8707 §2 names), so a token never
 *   silently carries more audiences than asked for.
 */
import { isResourceIndicator } from '../../clients/domain/client-metadata.js';

export class InvalidTargetError extends Error {
  readonly code = 'ERR_INVALID_TARGET';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTargetError';
  }
}

export const MAX_RESOURCES_PER_REQUEST = 10;

export function resolveAudience(
  requested: readonly string[],
  allowed: readonly string[],
  defaultAudience: string,
): string | string[] {
  if (requested.length === 0) {
    if (allowed.length === 0) return defaultAudience;
    if (allowed.length === 1) return allowed[0] as string;
    throw new InvalidTargetError('resource is required: this client may request tokens for several resources');
  }
  if (requested.length > MAX_RESOURCES_PER_REQUEST) {
    throw new InvalidTargetError(`at most ${MAX_RESOURCES_PER_REQUEST} resource parameters are accepted`);
  }
  const out: string[] = [];
  for (const r of requested) {
    if (!isResourceIndicator(r)) throw new InvalidTargetError('resource must be an absolute URI without a fragment');
    if (!allowed.includes(r)) throw new InvalidTargetError('resource is not allowed for this client');
    if (!out.includes(r)) out.push(r);
  }
  return out.length === 1 ? (out[0] as string) : out;
}
