/** Admin Worker entrypoint: administration API and dashboard. */
import type { Env } from './env.js';
import { app } from './routes.js';

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
