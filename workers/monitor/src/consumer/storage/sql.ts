/** Parameterised SQL on the pool under drizzle (jsonb parameters, row locks, one connection per transaction). */
import type { Database } from '../../../../../shared/db/client.js';

export type Query = (text: string, params?: unknown[]) => Promise<{ rows: any[]; rowCount?: number | null }>;

export interface PoolClient {
  query: Query;
  release(): void;
}

export interface Pool {
  query: Query;
  connect(): Promise<PoolClient>;
}

export function poolOf(db: Database): Pool {
  return (db as unknown as { $client: Pool }).$client;
}
