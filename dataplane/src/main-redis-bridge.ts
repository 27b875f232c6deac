/**
 * Container entrypoint of the Upstash-compatible Redis REST bridge.
 *
 *   REDIS_BRIDGE_LISTEN          host:port to listen on (default 0.0.0.0:8079)
 *   REDIS_URL                    redis://[user[:password]@]host:port[/db] (required)
 *   REDIS_BRIDGE_TOKEN_<WORKER>  one token per Worker (AUTH, POLICY, ADMIN, MONITOR; all required): the value that
 *                                Worker sends as UPSTASH_REDIS_REST_TOKEN. What each may do: redis-grants.ts
 *   REDIS_BRIDGE_KEY_PREFIX      the Workers' REDIS_KEY_PREFIX; grants' key patterns are under it (default '')
 *   REDIS_BRIDGE_POOL_SIZE       Redis connections, default 4
 *   REDIS_BRIDGE_MAX_BODY_BYTES  default 1048576
 *   REDIS_BRIDGE_SIMULATED_RTT_MS  benchmarks only: delay every request as a Redis this far away would
 *                                (simulated-rtt.ts); default 0, off
 *   LOG_LEVEL                    debug | info | warn | error (default info)
 */
import { envInt, envListen, envRequired, jsonLineLogger, runService } from './cli.js';
import { bridgeTokenVariable, WORKER_REDIS_GRANTS } from './redis-grants.js';
import { startRedisRestBridge } from './redis-rest-bridge.js';

const log = jsonLineLogger('redis-rest-bridge');

runService(log, async () => {
  if (process.env.REDIS_BRIDGE_TOKEN) {
    throw new Error(
      'REDIS_BRIDGE_TOKEN (one token for every Worker) is no longer read: set one REDIS_BRIDGE_TOKEN_<WORKER> per Worker',
    );
  }
  const listen = envListen('REDIS_BRIDGE_LISTEN', '0.0.0.0:8079');
  const clients = Object.entries(WORKER_REDIS_GRANTS).map(([name, grant]) => ({
    name,
    grant,
    token: envRequired(bridgeTokenVariable(name), `the token the ${name} Worker sends as UPSTASH_REDIS_REST_TOKEN`),
  }));
  const bridge = await startRedisRestBridge({
    host: listen.host,
    port: listen.port,
    redisUrl: envRequired('REDIS_URL', 'e.g. redis://redis:6379'),
    clients,
    keyPrefix: process.env.REDIS_BRIDGE_KEY_PREFIX ?? '',
    poolSize: envInt('REDIS_BRIDGE_POOL_SIZE', undefined),
    maxBodyBytes: envInt('REDIS_BRIDGE_MAX_BODY_BYTES', undefined),
    simulatedRttMs: envInt('REDIS_BRIDGE_SIMULATED_RTT_MS', 0),
    log,
  });
  // The bridge starts even while Redis is down (GET /health says 503); just report it.
  bridge.waitUntilReady(10_000).then(
    () => log({ level: 'info', msg: 'redis connected' }),
    (err: Error) => log({ level: 'warn', msg: 'redis not reachable yet, will keep retrying', error: err.message }),
  );
  return () => bridge.close();
});
