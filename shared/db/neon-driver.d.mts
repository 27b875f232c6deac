import type { neonConfig } from '@neondatabase/serverless';

export function configureNeonDriver(config: typeof neonConfig, opts?: { proxy?: string; webSocket?: unknown }): void;
