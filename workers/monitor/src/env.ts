/** The monitor Worker's bindings and configuration, from its one variable declaration (variables.ts). */
import { ConfigError, type ConfigOf, defineConfig, type VariablesOf } from '../../../shared/config.js';
import { variables } from './variables.js';

/** What `index.ts` exports as the consumer's Durable Object (an RPC stub to it). */
export interface StreamConsumerStub {
  ensureArmed(): Promise<void>;
}

export type Env = VariablesOf<typeof variables> & {
  /** Service binding to the policy Worker (authorizes the monitor API). */
  POLICY?: Fetcher;
  /** The stream consumer's alarm loop (consumer/stream-consumer.ts). */
  STREAM_CONSUMER?: DurableObjectNamespace;
};

export type MonitorConfig = ConfigOf<typeof variables>;

const readVariables = defineConfig(variables);

export function readMonitorConfig(env: object): MonitorConfig {
  const config = readVariables(env);
  if (config.WEBHOOK_ALLOW_PRIVATE_URLS && config.ENVIRONMENT === 'production')
    throw new ConfigError('WEBHOOK_ALLOW_PRIVATE_URLS', 'is for local development and tests, not production');
  if (config.MONITOR_IDLE_TICK_MS < config.MONITOR_TICK_MS)
    throw new ConfigError('MONITOR_IDLE_TICK_MS', 'must not be shorter than MONITOR_TICK_MS');
  return config;
}
