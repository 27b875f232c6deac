/** The monitor Worker's bindings and configuration, from its one variable declaration (variables.ts). */
import { ConfigError, type ConfigOf, checkOrder, defineConfig, type VariablesOf } from '../../../shared/config.js';
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

/** The whole configuration, with the rules across variables that a single field parser cannot check. */
export const readMonitorConfig = defineConfig(variables, (config) => {
  if (config.WEBHOOK_ALLOW_PRIVATE_URLS && config.ENVIRONMENT === 'production')
    throw new ConfigError('WEBHOOK_ALLOW_PRIVATE_URLS', 'is for local development and tests, not production');
  checkOrder(config, [['MONITOR_IDLE_TICK_MS', '>=', 'MONITOR_TICK_MS']]);
});
