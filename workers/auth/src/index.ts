/** Auth Worker entrypoint: the OAuth 2.0 authorization server (HTTP) and its scheduled key maintenance (cron). */
import { createStateObject } from '../../../shared/state/durable-object.js';
import type { Env } from './env.js';
import { maintainSigningKeys } from './keys/handlers/maintenance.js';
import { app, servicesFor } from './routes.js';
import { AUTH_MACHINES } from './state-machines.js';

export default {
  fetch: app.fetch,
  /** Cron trigger: key rotation maintenance and pruning of expired revocation records. */
  scheduled(_controller, env, ctx) {
    ctx.waitUntil(maintainSigningKeys(servicesFor(env), ctx, { trigger: 'cron' }).then(() => undefined));
  },
} satisfies ExportedHandler<Env>;

export { RateLimiter } from '../../../shared/rate-limit/durable-objects/rate-limiter.js';

/** The keyed-state Durable Object (STATE_BACKEND=durable-object): one per (machine, key), hosting AUTH_MACHINES. */
export class StateObject extends createStateObject(AUTH_MACHINES) {}
