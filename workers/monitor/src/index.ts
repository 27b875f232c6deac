/** Monitor Worker entrypoint: security events, threat detection and alerts. */
import type { Env } from './env.js';
import { app } from './routes.js';

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
