/**
 * Signing-key maintenance (rotation schedule, retirement, pruning of expired revocation records, re-asserting the
 * revocation denylist): the cron trigger on Cloudflare and `POST /admin/keys/maintain` elsewhere do the same work
 * through `maintainSigningKeys`.
 */
import { logError } from '../../../../../shared/dependencies.js';
import type { SecurityEvent } from '../../../../../shared/events/event.js';
import type { WaitUntil } from '../../../../../shared/events/sink.js';
import type { AuthServices } from '../../services.js';
import type { MaintenanceResult } from '../key-ring.js';

/** Records a `key.rotated` event when the run changed the key set. */
export function reportRotation(
  services: AuthServices,
  result: MaintenanceResult,
  ctx: WaitUntil,
  details: { trigger: string; admin?: string },
  origin: Pick<SecurityEvent, 'ip' | 'user_agent' | 'request_id'> = {},
): void {
  if (!result.changed) return;
  services.events.emit(
    {
      type: 'key.rotated',
      outcome: 'success',
      ...origin,
      details: {
        ...details,
        created: result.created,
        retired: result.retired,
        revoked: result.revoked,
        deleted: result.deleted,
      },
    },
    ctx,
  );
}

/**
 * The scheduled maintenance: rotation schedule, pruning of revocation records of expired tokens, then a rebuild of
 * the denylist from those records (so a member lost from Redis is back within the hour). `denylisted` is null when
 * the rebuild could not run (Redis down, or another isolate rebuilding): the keys' work still counts.
 */
export async function maintainSigningKeys(
  services: AuthServices,
  ctx: WaitUntil,
  details: { trigger: string; admin?: string },
  origin?: Pick<SecurityEvent, 'ip' | 'user_agent' | 'request_id'>,
): Promise<{ result: MaintenanceResult; pruned: number; denylisted: number | null }> {
  const result = await services.keys.rotate(Date.now());
  const pruned = await services.revocations.prune();
  let denylisted: number | null = null;
  try {
    denylisted = await services.revocations.rebuild();
  } catch (err) {
    logError('auth', 'denylist rebuild during maintenance failed', err);
  }
  reportRotation(services, result, ctx, details, origin);
  return { result, pruned, denylisted };
}
