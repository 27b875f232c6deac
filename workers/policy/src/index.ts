/** Policy Worker entrypoint: Cedar authorization decisions for the platform. */
import type { Env } from './env.js';
import { app } from './routes.js';

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
