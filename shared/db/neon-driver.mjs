// The one setup of the Neon serverless driver, for the Workers (shared/db/client.ts), the Node scripts
// (scripts/lib/platform.mjs) and the Kubernetes migration job (shared/db/migrate.mjs). Plain JavaScript so Node
// runs it as is; the Workers' bundler takes it like any module.

/**
 * Points the driver at the project's WebSocket bridge when `proxy` (PG_WS_PROXY, `host:port/path`) is set;
 * otherwise it connects to Neon's own endpoint over TLS. `webSocket` is the constructor to use where the runtime
 * has none (Node 20: the `ws` package); workerd and Node 22 have one.
 * @param {typeof import('@neondatabase/serverless').neonConfig} neonConfig
 * @param {{ proxy?: string, webSocket?: unknown }} opts
 */
export function configureNeonDriver(neonConfig, { proxy, webSocket } = {}) {
  if (webSocket) neonConfig.webSocketConstructor = webSocket;
  if (proxy) {
    const base = proxy.replace(/\/+$/, '');
    neonConfig.wsProxy = (host, port) => `${base}?address=${host}:${port}`;
    // The local bridge speaks plain ws:// on loopback or inside the cluster network; TLS is Postgres's own.
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineTLS = false;
    // SCRAM needs a round trip before the first query, so the connect pipeline must be off.
    neonConfig.pipelineConnect = false;
  }
  // Coalescing delays each write to batch them; through a bridge that cost ~8x in latency.
  neonConfig.coalesceWrites = false;
}
