/**
 * Monitor Worker entrypoint: the monitor API (HTTP), the stream consumer's Durable Object (its alarm loop consumes
 * `security-events`), and on Cloudflare a cron trigger that only makes sure that loop is armed.
 */
import { armConsumer, streamConsumerClass } from './consumer/stream-consumer.js';
import type { Env } from './env.js';
import { app, metrics, servicesFor } from './routes.js';

export default {
  fetch(request, env, ctx) {
    armConsumer(env, ctx);
    return app.fetch(request, env, ctx);
  },
  scheduled(_controller, env, ctx) {
    armConsumer(env, ctx, true);
  },
} satisfies ExportedHandler<Env>;

export class StreamConsumer extends streamConsumerClass(servicesFor, metrics) {}
