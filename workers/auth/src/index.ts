/** Auth Worker entrypoint: the OAuth 2.0 authorization server (HTTP) and its scheduled key maintenance (cron). */
import { emitSecurityEvent } from '../../../shared/events.js';
import { readConfig } from './context.js';
import type { Env } from './env.js';
import { app } from './routes.js';
import { pruneRevokedTokens } from './storage/revoked-tokens.js';
import { rotateSigningKeys } from './storage/signing-keys.js';

/** Cron trigger: key rotation maintenance and pruning of expired revocation records. */
async function scheduledMaintenance(env: Env, ctx: ExecutionContext): Promise<void> {
  const config = readConfig(env);
  const result = await rotateSigningKeys(config, Date.now());
  await pruneRevokedTokens(config);
  if (result.changed) {
    emitSecurityEvent(ctx, config, 'auth', {
      type: 'key.rotated',
      outcome: 'success',
      details: { trigger: 'cron', created: result.created, retired: result.retired, deleted: result.deleted },
    });
  }
}

export default {
  fetch: app.fetch,
  scheduled(_controller, env, ctx) {
    ctx.waitUntil(scheduledMaintenance(env, ctx));
  },
} satisfies ExportedHandler<Env>;

export { RateLimiter } from './durable-objects/rate-limiter.js';
