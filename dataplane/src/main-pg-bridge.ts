/**
 * Container entrypoint of the Postgres WebSocket bridge.
 *
 *   PG_BRIDGE_LISTEN            host:port to listen on (default 0.0.0.0:5480)
 *   PG_BRIDGE_ALLOW             comma-separated Postgres host:port list clients may reach (required)
 *   PG_BRIDGE_MAX_CONNECTIONS   default 1000
 *   PG_BRIDGE_MAX_BUFFERED_BYTES  per direction, default 1048576
 *   PG_BRIDGE_IDLE_TIMEOUT_MS   default 600000 (0 disables)
 *   PG_BRIDGE_SIMULATED_RTT_MS  benchmarks only: delay every round trip as a database this far away would
 *                               (simulated-rtt.ts); default 0, off
 *   LOG_LEVEL                   debug | info | warn | error (default info)
 */
import { envInt, envListen, envRequired, jsonLineLogger, runService } from './cli.js';
import { startPgBridge } from './pg-ws-bridge.js';

const log = jsonLineLogger('pg-ws-bridge');

runService(log, async () => {
  const listen = envListen('PG_BRIDGE_LISTEN', '0.0.0.0:5480');
  const allow = envRequired('PG_BRIDGE_ALLOW', 'comma-separated host:port list of Postgres servers, e.g. postgres:5432')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bridge = await startPgBridge({
    host: listen.host,
    port: listen.port,
    allow,
    maxConnections: envInt('PG_BRIDGE_MAX_CONNECTIONS', undefined),
    maxBufferedBytes: envInt('PG_BRIDGE_MAX_BUFFERED_BYTES', undefined),
    idleTimeoutMs: envInt('PG_BRIDGE_IDLE_TIMEOUT_MS', 600_000),
    simulatedRttMs: envInt('PG_BRIDGE_SIMULATED_RTT_MS', 0),
    log,
  });
  return () => bridge.close();
});
