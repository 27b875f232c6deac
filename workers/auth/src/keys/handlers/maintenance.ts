/**
 * Signing-key maintenance (rotation schedule, retirement, pruning of expired revocation records): the cron trigger
 * on Cloudflare and `POST /admin/keys/maintain` elsewhere do the same work through `maintainSigningKeys`.
 */
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
      details: { ...details, created: result.created, retired: result.retired, deleted: result.deleted },
    },
    ctx,
  );
}

/** The scheduled maintenance: rotation schedule, then pruning of revocation records of expired tokens. */
export async function maintainSigningKeys(
  services: AuthServices,
  ctx: WaitUntil,
  details: { trigger: string; admin?: string },
  origin?: Pick<SecurityEvent, 'ip' | 'user_agent' | 'request_id'>,
): Promise<{ result: MaintenanceResult; pruned: number }> {
  const result = await services.keys.rotate(Date.now());
  const pruned = await services.revocations.prune();
  reportRotation(services, result, ctx, details, origin);
  return { result, pruned };
}
