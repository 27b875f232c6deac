/** Auth Worker entrypoint: the OAuth 2.0 / OpenID Connect authorization server. */
import type { Env } from './env.js';
import { app } from './routes.js';

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;


export { RateLimiter } from './durable-objects/rate-limiter.js';
