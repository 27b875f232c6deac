// Types for scripts/lib/platform.mjs, so TypeScript tests can import it.
export const WORKERD_BIN: string;
export const DEFAULT_DATABASE_URL: string;
export const DEFAULT_REDIS_URL: string;
export interface DataPlane {
  databaseUrl: string;
  redisUrl: string;
  pgProxy: string;
  redisRestUrl: string;
  /** One Redis REST token per Worker (and per extra client), each limited to its grant. */
  redisTokens: Record<string, string>;
  /** The REDIS_KEY_PREFIX every grant's keys are under. */
  redisKeyPrefix: string;
  postgresSource: string;
  redisSource: string;
  stop(): Promise<void>;
}
export interface GeneratedSecrets {
  POLICY_API_TOKEN: string;
  CLIENT_CACHE_MAC_KEY: string;
}
export function generatedSecrets(): GeneratedSecrets;
export function localSecrets(
  dataDir?: string,
): { KEY_ENCRYPTION_KEY: string; ADMIN_BOOTSTRAP_TOKEN: string } & GeneratedSecrets;
export function saveLocalSecrets(additions: Record<string, string>, dataDir?: string): void;
export function freePort(): Promise<number>;
export function startDataPlane(opts?: {
  databaseUrl?: string;
  redisUrl?: string;
  dataDir?: string;
  redisKeyPrefix?: string;
  /** Extra Redis REST callers with their own grants (dataplane/src/redis-grants.ts shape). */
  redisClients?: Record<string, { commands: readonly string[]; keys: readonly string[]; scripts?: readonly object[] }>;
  log?: (entry: unknown) => void;
}): Promise<DataPlane>;
export function nodePool(
  databaseUrl: string,
  pgProxy: string,
  rootCerts?: string,
): Promise<import('@neondatabase/serverless').Pool>;
export function migrate(databaseUrl: string, pgProxy: string, rootCerts?: string): Promise<void>;
export function createDatabase(adminUrl: string, pgProxy: string, name: string): Promise<string>;
export function dropDatabase(adminUrl: string, pgProxy: string, name: string): Promise<void>;
export function dataPlaneEnv(
  dataPlane: Pick<DataPlane, 'databaseUrl' | 'pgProxy' | 'redisRestUrl' | 'redisTokens' | 'redisKeyPrefix'>,
): Record<string, string>;
export function workerEnv(
  dataPlane: Pick<DataPlane, 'databaseUrl' | 'pgProxy' | 'redisRestUrl' | 'redisTokens' | 'redisKeyPrefix'>,
  extra?: Record<string, string>,
): Record<string, string>;
export interface WorkerdProcess {
  /** The addresses actually bound. */
  sockets: Record<string, string>;
  child: import('node:child_process').ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
  logs(): string;
  exited: Promise<unknown>;
}
export function startWorkerd(opts: {
  config: string;
  sockets: Record<string, string> | (() => Promise<Record<string, string>>);
  env: Record<string, string>;
  doStorageDir?: string;
  prefix?: string[];
  onLog?: (line: string) => void;
  timeoutMs?: number;
}): Promise<WorkerdProcess>;
export function platformSockets(ports?: 'default' | Record<string, number>): Promise<Record<string, string>>;
export function platformConfigPath(): string;
