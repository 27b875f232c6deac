/**
 * Public API of the local data plane: the two bridges that let Workers drivers reach ordinary
 * Postgres and Redis, and the private servers used for local development.
 */
export { startPgBridge, type PgBridge, type PgBridgeOptions, type PgBridgeStats } from './pg-ws-bridge.js';
export { startRedisRestBridge, type RedisRestBridge, type RedisRestBridgeOptions } from './redis-rest-bridge.js';
export {
  startLocalPostgres,
  startLocalRedis,
  MissingBinaryError,
  type BinaryLookup,
  type LocalServer,
  type LocalServerOptions,
  type LocalPostgresOptions,
} from './local-servers.js';
export { findPostgresBinDir, findRedisServer } from './binaries.js';
export type { RedisBridgeClient } from './redis-rest-bridge.js';
export {
  bridgeTokenVariable,
  REDIS_SCRIPTS,
  WORKER_REDIS_GRANTS,
  type RedisGrant,
  type RedisScript,
  type WorkerName,
} from './redis-grants.js';
export type { LogFn } from './log.js';
