/**
 * The monitor Worker's composition root (see workers/auth/src/services.ts for the pattern): the stream consumer and
 * its settings (detector thresholds parsed here, so /ready names a bad MONITOR_DETECTORS), the webhook sender, the
 * stores of the monitor API, and admin authorization through the policy Worker.
 */
import type { AdminAuthorization } from '../../../shared/admin/authorize.js';
import { AdminCredentials, adminAuthThrottle } from '../../../shared/admin/credentials.js';
import type { ServiceContext } from '../../../shared/app.js';
import { ConfigError } from '../../../shared/config.js';
import { type PolicyDecision, remotePolicyDecider } from '../../../shared/policy-client.js';
import { redisStore } from '../../../shared/rate-limit/storage/redis.js';
import { type CoreServices, coreServices } from '../../../shared/services.js';
import { parseDedupConfig } from './alerts/domain/deduplicate.js';
import type { AlertStore } from './alerts/domain/alert-store.js';
import { postgresAlertStore } from './alerts/storage/alerts.js';
import type { ConsumerDeps } from './consumer/consume.js';
import { postgresBatchStore } from './consumer/storage/batch-store.js';
import { DetectorConfigError } from './detectors/domain/config.js';
import { type DetectorConfigs, parseDetectorConfigs } from './detectors/domain/pipeline.js';
import type { AuditLog } from './events/domain/audit-log.js';
import { postgresAuditLog } from './events/storage/audit-log.js';
import { EventStream } from './events/storage/stream.js';
import { type Env, type MonitorConfig, readMonitorConfig } from './env.js';
import { BREAKER_DEFAULTS } from './webhooks/domain/circuit-breaker.js';
import { RETRY_DEFAULTS } from './webhooks/domain/backoff.js';
import type { EndpointStore } from './webhooks/domain/endpoint-store.js';
import { SecretBox } from './webhooks/secret-box.js';
import type { SenderDeps } from './webhooks/sender.js';
import { postgresDeliveryStore } from './webhooks/storage/deliveries.js';
import { postgresEndpointStore } from './webhooks/storage/endpoints.js';

export interface MonitorServices extends CoreServices<MonitorConfig> {
  readonly consumer: ConsumerDeps;
  readonly sender: SenderDeps;
  readonly alerts: AlertStore;
  readonly auditLog: AuditLog;
  readonly endpoints: EndpointStore;
  readonly secrets: SecretBox;
  readonly admin: AdminAuthorization<PolicyDecision>;
  readonly detectorConfigs: DetectorConfigs;
  readonly locationAvailable: boolean;
}

export type MonitorContext = ServiceContext<Env, MonitorServices>;

function detectorConfigs(config: MonitorConfig, locationAvailable: boolean): DetectorConfigs {
  try {
    return parseDetectorConfigs(config.MONITOR_DETECTORS, { locationAvailable });
  } catch (err) {
    if (err instanceof DetectorConfigError) throw new ConfigError('MONITOR_DETECTORS', err.message);
    throw err;
  }
}

function dedupConfig(config: MonitorConfig) {
  try {
    return parseDedupConfig(config.MONITOR_DEDUP);
  } catch (err) {
    if (err instanceof DetectorConfigError) throw new ConfigError('MONITOR_DEDUP', err.message);
    throw err;
  }
}

/** One consumer name per isolate unless configured (the pod name on Kubernetes); made on first use (not global scope). */
let isolateConsumer: string | undefined;
function consumerName(config: MonitorConfig): string {
  if (config.MONITOR_CONSUMER) return config.MONITOR_CONSUMER;
  isolateConsumer ??= `monitor-${crypto.randomUUID().slice(0, 8)}`;
  return isolateConsumer;
}

export function buildServices(env: Env): MonitorServices {
  const config = readMonitorConfig(env);
  const { deps, events } = coreServices(config, 'monitor');
  // Sign-in events carry a location when the emitting Worker knows one (request.cf on Cloudflare, GEO_HEADERS on
  // Kubernetes); the detector reports itself off without, and says so in /admin/monitor/status. Today no emitter
  // fills the location fields, so impossible travel is off until sign-in ships with them.
  const locationAvailable = false;
  const detectors = detectorConfigs(config, locationAvailable);
  const stream = new EventStream(config, config.MONITOR_GROUP, consumerName(config), config.SERVICE_TIMEOUT_MS * 5);
  const box = new SecretBox(config.WEBHOOK_SECRET_KEY);
  return {
    config,
    deps,
    events,
    detectorConfigs: detectors,
    locationAvailable,
    consumer: {
      stream,
      store: postgresBatchStore(deps, config.MONITOR_GROUP),
      service: 'monitor',
      readSizing: { eventsPerEntry: 1 },
      settings: {
        batchSize: config.MONITOR_BATCH_SIZE,
        batchesPerTick: config.MONITOR_BATCHES_PER_TICK,
        claimIdleMs: config.MONITOR_CLAIM_IDLE_MS,
        maxLen: config.MONITOR_STREAM_MAXLEN,
        retentionDays: config.MONITOR_EVENT_RETENTION_DAYS,
        detectors,
        dedup: dedupConfig(config),
      },
    },
    sender: {
      store: postgresDeliveryStore(deps),
      box,
      retry: { ...RETRY_DEFAULTS, baseMs: config.WEBHOOK_RETRY_BASE_MS, maxAttempts: config.WEBHOOK_MAX_ATTEMPTS },
      breaker: {
        ...BREAKER_DEFAULTS,
        failureThreshold: config.WEBHOOK_BREAKER_FAILURES,
        openMs: config.WEBHOOK_BREAKER_OPEN_MS,
        maxOpenMs: Math.max(config.WEBHOOK_BREAKER_MAX_OPEN_MS, config.WEBHOOK_BREAKER_OPEN_MS),
      },
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      service: 'monitor',
    },
    alerts: postgresAlertStore(deps),
    auditLog: postgresAuditLog(deps),
    endpoints: postgresEndpointStore(deps),
    secrets: box,
    admin: {
      // Failed admin authentications are limited in Redis on every target, as in the policy Worker: the monitor API
      // is no hot path.
      credentials: new AdminCredentials(
        deps,
        config.ADMIN_BOOTSTRAP_TOKEN,
        adminAuthThrottle(redisStore(deps.redis), config),
      ),
      decider: remotePolicyDecider(env.POLICY, {
        token: config.POLICY_API_TOKEN,
        timeoutMs: config.SERVICE_TIMEOUT_MS,
      }),
      events,
    },
  };
}
