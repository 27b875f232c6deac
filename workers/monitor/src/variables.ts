/**
 * The monitor Worker's variables: the one declaration of every name it reads (see workers/auth/src/variables.ts for
 * what the declaration feeds). Pure data: the scripts evaluate this module in Node.
 */
import { bool, ConfigError, type Field, int, optionalStr, scalar, str } from '../../../shared/config.js';
import { adminCredentialVariables, commonVariables, policyApiVariables } from '../../../shared/env.js';

/** A JSON object (detector threshold overrides); checked in depth by the detectors' own parsers (services.ts). */
function jsonObject(): Field<Record<string, unknown>> {
  return scalar(
    (text, name) => {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw new ConfigError(name, 'must be a JSON object');
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        throw new ConfigError(name, 'must be a JSON object');
      return value as Record<string, unknown>;
    },
    { default: {} },
  );
}

export const variables = {
  ...commonVariables,
  ...policyApiVariables,
  ...adminCredentialVariables,
  /**
   * Detector thresholds: `{ "<detector id>": { ...overrides } }` over the defaults of DESIGN.md (e.g.
   * `{"client_secret_guessing":{"perClient":{"tiers":[{"count":5,"severity":"medium"}]}}}`); unknown detectors or
   * settings are refused at start-up, naming the setting.
   */
  MONITOR_DETECTORS: jsonObject(),
  /** Alert deduplication (`{windowMs, escalateAtCounts, firstEventIds, lastEventIds}`), over its defaults. */
  MONITOR_DEDUP: jsonObject(),
  /**
   * false: this deployment serves the monitor API only and never arms the stream consumer (API-only replicas, or a
   * test of another Worker that counts Postgres sessions and must not see the audit log's writes).
   */
  MONITOR_CONSUMER_ENABLED: bool({ default: true }),
  /**
   * Events per batch: one Postgres transaction each. Reads (XREADGROUP / XAUTOCLAIM COUNT) ask for as many entries
   * as hold about this many events, going by the last read (an entry holds one emitter flush's events).
   */
  MONITOR_BATCH_SIZE: int({ default: 500, min: 1, max: 5000 }),
  /** Batches per alarm tick at most, so one tick stays well inside the Worker's time limits. */
  MONITOR_BATCHES_PER_TICK: int({ default: 10, min: 1, max: 1000 }),
  /** The alarm loop's period while entries keep coming, and while the stream is idle. */
  MONITOR_TICK_MS: int({ default: 250, min: 20, max: 60_000 }),
  MONITOR_IDLE_TICK_MS: int({ default: 5000, min: 20, max: 300_000 }),
  /** Name of the consumer group (one per deployment reading the stream). */
  MONITOR_GROUP: str({ default: 'monitor' }),
  /** This consumer's name in the group (the pod name on Kubernetes); default: one per isolate. */
  MONITOR_CONSUMER: optionalStr({ minLength: 1 }),
  /** Pending entries idle this long belonged to a consumer that died: XAUTOCLAIM takes them over. */
  MONITOR_CLAIM_IDLE_MS: int({ default: 60_000, min: 100, max: 3_600_000 }),
  /**
   * The stream is trimmed to about this many entries (XTRIM MAXLEN ~) after each batch. Each emitter also trims it on
   * every write, to about SECURITY_EVENTS_MAXLEN events (shared/events/event.ts).
   */
  MONITOR_STREAM_MAXLEN: int({ default: 100_000, min: 1000, max: 100_000_000 }),
  /** Audit-log retention: events older than this are pruned (in slices, at most once a minute). */
  MONITOR_EVENT_RETENTION_DAYS: int({ default: 90, min: 1, max: 3650 }),
  /**
   * AES-256-GCM key (base64 of 32 bytes) encrypting webhook endpoint secrets at rest (they must be kept: signing
   * needs them). Without it, registering webhook endpoints answers 503 and nothing is sent.
   */
  WEBHOOK_SECRET_KEY: optionalStr({ minLength: 40 }),
  /** Webhook retries: first-retry ceiling (doubling, full jitter) and attempts in all. */
  WEBHOOK_RETRY_BASE_MS: int({ default: 10_000, min: 10, max: 3_600_000 }),
  WEBHOOK_MAX_ATTEMPTS: int({ default: 16, min: 1, max: 100 }),
  /** Per-endpoint circuit breaker: consecutive failures that open it, and its first open period. */
  WEBHOOK_BREAKER_FAILURES: int({ default: 5, min: 1, max: 1000 }),
  WEBHOOK_BREAKER_OPEN_MS: int({ default: 60_000, min: 10, max: 3_600_000 }),
  /** The open period doubles after each failed trial, up to this. */
  WEBHOOK_BREAKER_MAX_OPEN_MS: int({ default: 3_600_000, min: 10, max: 86_400_000 }),
  /** One attempt's deadline. */
  WEBHOOK_TIMEOUT_MS: int({ default: 15_000, min: 100, max: 60_000 }),
  /**
   * Local development and tests only: endpoint URLs may be http and point at loopback/private addresses. Refused
   * with ENVIRONMENT=production.
   */
  WEBHOOK_ALLOW_PRIVATE_URLS: bool({ default: false }),
};
