/**
 * Container entrypoint of the Upstash-compatible Redis REST bridge.
 *
 *   REDIS_BRIDGE_LISTEN          host:port to listen on (default 0.0.0.0:8079)
 *   REDIS_URL                    redis://[user[:password]@]host:port[/db] (required)
 *   REDIS_BRIDGE_TOKEN           bearer token clients must send (required)
 *   REDIS_BRIDGE_POOL_SIZE       shared Redis connections, default 4
 *   REDIS_BRIDGE_MAX_BODY_BYTES  default 1048576
 *   LOG_LEVEL                    debug | info | warn | error (default info)
 */
import { envInt, envListen, envRequired, jsonLineLogger, runService } from './cli.js';
import { startRedisRestBridge } from './redis-rest-bridge.js';

const log = jsonLineLogger('redis-rest-bridge');

runService(log, async () => {
  const listen = envListen('REDIS_BRIDGE_LISTEN', '0.0.0.0:8079');
  const bridge = await startRedisRestBridge({
    host: listen.host,
    port: listen.port,
    redisUrl: envRequired('REDIS_URL', 'e.g. redis://redis:6379'),
    token: envRequired('REDIS_BRIDGE_TOKEN', 'the token Workers pass as UPSTASH_REDIS_REST_TOKEN'),
    poolSize: envInt('REDIS_BRIDGE_POOL_SIZE', undefined),
    maxBodyBytes: envInt('REDIS_BRIDGE_MAX_BODY_BYTES', undefined),
    log,
  });
  // The bridge starts even while Redis is down (GET /health says 503); just report it.
  bridge.waitUntilReady(10_000).then(
    () => log({ level: 'info', msg: 'redis connected' }),
    (err: Error) => log({ level: 'warn', msg: 'redis not reachable yet, will keep retrying', error: err.message }),
  );
  return () => bridge.close();
});
