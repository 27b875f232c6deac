/**
 * The Durable Object that drives consumption: an alarm loop. Each alarm runs one tick (tick.ts) and arms the next;
 * errors are caught and the loop re-arms itself rather than relying on the runtime's alarm retries (Cloudflare gives
 * up after six). Nothing arms an object that was never armed, so the Worker's request path (readiness probes
 * suffice) and, on Cloudflare, the cron trigger call `ensureArmed()`: a watchdog, not the consumer.
 *
 * Cloudflare: one object worldwide (`idFromName('security-events')`), hence one consumer. workerd (local, Kubernetes):
 * each process has its own object of that name, hence one loop per replica; the consumer group spreads entries over
 * them and the Postgres row lock of the group's state serialises their batches (consumer/storage/batch-store.ts).
 * workerd fires alarms from its `localDisk` storage, also after a restart (DESIGN.md, experiment).
 */
import { DurableObject } from 'cloudflare:workers';
import type { MetricsRegistry } from '../../../../shared/metrics.js';
import type { Env, StreamConsumerStub } from '../env.js';
import type { MonitorServices } from '../services.js';
import { runTick } from './tick.js';

export const CONSUMER_OBJECT_NAME = 'security-events';

export function streamConsumerClass(servicesFor: (env: Env) => MonitorServices, metrics: MetricsRegistry) {
  return class StreamConsumer extends DurableObject<Env> implements StreamConsumerStub {
    async ensureArmed(): Promise<void> {
      if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now());
    }

    override async alarm(): Promise<void> {
      let next = 5_000;
      try {
        const services = servicesFor(this.env);
        next = (await runTick(services, metrics)).nextInMs;
      } catch (err) {
        // A configuration error, say: keep the loop alive and try again later.
        console.log(JSON.stringify({ level: 'error', service: 'monitor', msg: 'tick failed', error: String(err) }));
      }
      await this.ctx.storage.setAlarm(Date.now() + next);
    }
  };
}

let armedAt = 0;
const ARM_EVERY_MS = 10_000;

/** From the request path or the cron trigger: makes sure the loop is running (one RPC at most every 10 s). */
export function armConsumer(env: Env, ctx: { waitUntil(p: Promise<unknown>): void }, force = false): void {
  const ns = env.STREAM_CONSUMER;
  // Read raw, before the configuration is validated: arming must not depend on the rest of the config being sound.
  if (!ns || String(env.MONITOR_CONSUMER_ENABLED).toLowerCase() === 'false') return;
  const now = Date.now();
  if (!force && now - armedAt < ARM_EVERY_MS) return;
  armedAt = now;
  const stub = ns.get(ns.idFromName(CONSUMER_OBJECT_NAME)) as unknown as StreamConsumerStub;
  ctx.waitUntil(
    stub.ensureArmed().catch((err: unknown) => {
      armedAt = 0;
      console.log(
        JSON.stringify({ level: 'error', service: 'monitor', msg: 'arming the consumer failed', error: String(err) }),
      );
    }),
  );
}
