import type { neonConfig } from '@neondatabase/serverless';

export function configureNeonDriver(
  config: typeof neonConfig,
  opts?: { proxy?: string; databaseUrl?: string; rootCerts?: string; webSocket?: unknown },
): void;
