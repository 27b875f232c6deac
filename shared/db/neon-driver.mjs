// The one setup of the Neon serverless driver, for the Workers (shared/db/client.ts), the Node scripts
// (scripts/lib/platform.mjs) and the Kubernetes migration job (shared/db/migrate.mjs). Plain JavaScript so Node
// runs it as is; the Workers' bundler takes it like any module.
// The file itself: subtls's package.json names no entry point, which Node's ESM loader warns about.
import * as subtls from 'subtls/index.js';
import { postgresRootCerts, reportTlsFailures } from './tls.mjs';

/**
 * Points the driver at the project's WebSocket bridge when `proxy` (PG_WS_PROXY, `host:port/path`) is set;
 * otherwise it connects to Neon's own endpoint over TLS. Through the bridge, Postgres's own TLS runs inside the
 * stream whenever `databaseUrl`'s sslmode asks for it, verified against `rootCerts` (PG_ROOT_CERTS; ./tls.mjs has
 * the rule). Throws PostgresTlsConfigError when the URL asks for TLS that cannot be verified. `webSocket` is the
 * constructor to use where the runtime has none (Node 20: the `ws` package); workerd and Node 22 have one.
 * @param {typeof import('@neondatabase/serverless').neonConfig} neonConfig
 * @param {{ proxy?: string, databaseUrl?: string, rootCerts?: string, webSocket?: unknown }} opts
 */
export function configureNeonDriver(neonConfig, { proxy, databaseUrl, rootCerts, webSocket } = {}) {
  if (webSocket) neonConfig.webSocketConstructor = webSocket;
  if (proxy) {
    const roots = databaseUrl ? postgresRootCerts(databaseUrl, rootCerts) : '';
    const base = proxy.replace(/\/+$/, '');
    neonConfig.wsProxy = (host, port) => `${base}?address=${host}:${port}`;
    // The bridge speaks plain ws:// on loopback or inside the cluster network. TLS is Postgres's own, end to end
    // inside the stream, whenever DATABASE_URL's sslmode asks for it (the driver's default ignores sslmode).
    neonConfig.useSecureWebSocket = false;
    neonConfig.forceDisablePgSSL = false;
    neonConfig.subtls = subtls;
    neonConfig.rootCerts = roots;
    reportTlsFailures(neonConfig);
    neonConfig.pipelineTLS = false;
    // SCRAM needs a round trip before the first query, so the connect pipeline must be off.
    neonConfig.pipelineConnect = false;
  } else {
    // Neon's own endpoint: the WebSocket is wss:// to Neon, verified against the runtime's CAs.
    neonConfig.forceDisablePgSSL = true;
  }
  // Coalescing delays each write to batch them; through a bridge that cost ~8x in latency.
  neonConfig.coalesceWrites = false;
}
