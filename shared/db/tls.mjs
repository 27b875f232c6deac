/**
 * TLS to Postgres when the Workers, the scripts or the migration Job reach it through the project's WebSocket bridge
 * (PG_WS_PROXY). Plain JavaScript so Node runs it as is (./neon-driver.mjs applies it); the Workers bundle it.
 *
 * The bridge is a plain byte pipe, so Postgres's own TLS runs end to end inside the WebSocket stream: the Neon
 * driver sends the SSLRequest and does the handshake with subtls (TLS 1.3 in WebCrypto). Neither the bridge nor
 * the network between a Worker and the bridge sees anything but ciphertext.
 *
 * `sslmode` in DATABASE_URL decides, and every mode that asks for TLS gets the strictest check: the server's chain
 * must end in a certificate of PG_ROOT_CERTS and the certificate must name the URL's host (a DNS subjectAltName;
 * subtls cannot verify IP addresses). libpq's `require` and `verify-ca` skip part of that; here they do not, since
 * a certificate nobody checks only protects against passive listeners. `allow` and `prefer` would fall back to
 * plaintext when the server says no; the driver refuses instead, which is also what is wanted.
 */

const TLS_MODES = new Set(['allow', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify']);

export class PostgresTlsConfigError extends Error {
  code = 'ERR_PG_TLS_CONFIG';
  name = 'PostgresTlsConfigError';
}

/**
 * What DATABASE_URL asks for, as the driver will read it (`sslmode`, or the older `ssl=true`/`ssl=1`).
 * @param {string} databaseUrl
 * @returns {'off' | 'verify-full'}
 */
export function requestedPostgresTls(databaseUrl) {
  let params;
  try {
    params = new URL(databaseUrl).searchParams;
  } catch {
    throw new PostgresTlsConfigError('DATABASE_URL is not a valid URL');
  }
  const mode = params.get('sslmode');
  if (mode === 'disable') return 'off';
  if (mode !== null) {
    if (!TLS_MODES.has(mode)) throw new PostgresTlsConfigError(`DATABASE_URL has an unknown sslmode "${mode}"`);
    if (mode === 'no-verify') {
      throw new PostgresTlsConfigError(
        'DATABASE_URL sslmode=no-verify is refused: use verify-full with PG_ROOT_CERTS naming the server CA',
      );
    }
    return 'verify-full';
  }
  const ssl = params.get('ssl');
  return ssl === 'true' || ssl === '1' ? 'verify-full' : 'off';
}

/**
 * The trusted roots for a URL that asks for TLS ('' when it does not): PG_ROOT_CERTS must hold at least one PEM
 * certificate, since without roots every server would be refused, and an empty setting is far more likely a
 * deployment mistake.
 * @param {string} databaseUrl
 * @param {string | undefined} rootCerts
 */
export function postgresRootCerts(databaseUrl, rootCerts) {
  if (requestedPostgresTls(databaseUrl) === 'off') return '';
  if (!rootCerts?.includes('-----BEGIN CERTIFICATE-----')) {
    throw new PostgresTlsConfigError(
      'DATABASE_URL asks for TLS (sslmode) but PG_ROOT_CERTS holds no PEM certificate: set it to the CA that signs the Postgres server certificate',
    );
  }
  return rootCerts;
}

const PATCHED = Symbol.for('edge-security.pg-tls-failures-reported');

/**
 * The driver starts TLS without waiting for the outcome (its `connect` hook drops the promise), so a refused
 * certificate became an unhandled rejection and the query hung until its connect timeout. This makes a failed
 * handshake a socket error, which fails the pending connect at once with the reason. `socketClass` is the driver's
 * `neonConfig` (its Socket class). Idempotent.
 * @param {{ prototype: { startTls(host: string): Promise<void>, emit(event: string, ...args: unknown[]): boolean, destroy(): unknown } }} socketClass
 */
export function reportTlsFailures(socketClass) {
  const proto = socketClass.prototype;
  if (proto[PATCHED]) return;
  const startTls = proto.startTls;
  proto.startTls = async function (host) {
    try {
      await startTls.call(this, host);
    } catch (err) {
      this.emit('error', new Error(`Postgres TLS handshake failed: ${err?.message ?? err}`));
      this.destroy();
    }
  };
  proto[PATCHED] = true;
}
