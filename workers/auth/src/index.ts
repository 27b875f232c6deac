/** Auth Worker entrypoint: the OAuth 2.0 authorization server (HTTP) and its scheduled key maintenance (cron). */
import { createStateObject } from '../../../shared/state/durable-object.js';
import { passwordResets } from './accounts/domain/password-reset.js';
import { authorizationCodes } from './authorize/domain/code-machine.js';
import type { Env } from './env.js';
import { LOGIN_MACHINES } from './login/domain/login-state.js';
import { maintainSigningKeys } from './keys/handlers/maintenance.js';
import { app, servicesFor } from './routes.js';

export default {
  fetch: app.fetch,
  /** Cron trigger: key rotation maintenance and pruning of expired revocation records. */
  scheduled(_controller, env, ctx) {
    ctx.waitUntil(maintainSigningKeys(servicesFor(env), ctx, { trigger: 'cron' }).then(() => undefined));
  },
} satisfies ExportedHandler<Env>;

export { RateLimiter } from '../../../shared/rate-limit/durable-objects/rate-limiter.js';

/** The keyed-state Durable Object (STATE_BACKEND=durable-object), built from the machines the Worker uses. */
export class StateObject extends createStateObject([authorizationCodes, ...LOGIN_MACHINES, passwordResets]) {}
