// The Workers' environment for local runs (`npm start`, `npm run dev`): local defaults first, then every variable a
// Worker declares (workers/<name>/src/variables.ts) that the caller set by its documented name, then the addresses of the
// data plane the script started. So `REGISTRATION_TOKEN=... npm start` turns registration protection on, exactly
// as the same variable does in a deployment.
import { dataPlaneEnv } from './platform.mjs';
import { allWorkerVariables } from './workers.mjs';

/**
 * @param {object} opts
 * @param {Record<string, string | undefined>} opts.processEnv  the caller's environment (process.env)
 * @param {Parameters<typeof dataPlaneEnv>[0]} opts.dataPlane
 * @param {{ KEY_ENCRYPTION_KEY: string, ADMIN_BOOTSTRAP_TOKEN: string, POLICY_API_TOKEN: string, CLIENT_CACHE_MAC_KEY: string }} opts.secrets
 *   .data/local-secrets.json
 * @param {string} opts.issuer
 * @returns {Record<string, string>}
 */
export function localWorkerEnv({ processEnv, dataPlane, secrets, issuer }) {
  const given = {};
  for (const name of allWorkerVariables()) {
    const value = processEnv[name];
    if (value !== undefined && value !== '') given[name] = value;
  }
  return {
    ENVIRONMENT: 'development',
    ISSUER: issuer,
    KEY_ENCRYPTION_KEY: secrets.KEY_ENCRYPTION_KEY,
    KEK_ID: 'local-1',
    ADMIN_BOOTSTRAP_TOKEN: secrets.ADMIN_BOOTSTRAP_TOKEN,
    // Required off Cloudflare (the decision API is on a local port); the other Workers send it.
    POLICY_API_TOKEN: secrets.POLICY_API_TOKEN,
    CLIENT_CACHE_MAC_KEY: secrets.CLIENT_CACHE_MAC_KEY,
    // Local use only: lets `curl` register a client without an initial access token, unless the caller set
    // REGISTRATION_TOKEN (which then is required) or ALLOW_OPEN_REGISTRATION=false. Never set in production.
    ALLOW_OPEN_REGISTRATION: 'true',
    // Local use only: anyone can create an account on the hosted sign-in pages (off by default in production).
    SIGN_UP_ENABLED: 'true',
    ...given,
    // How the Workers reach the data plane is the script's decision (DATABASE_URL / REDIS_URL choose the servers):
    // its addresses, the key prefix its Redis bridge enforces, and each Worker's own Redis token.
    ...dataPlaneEnv(dataPlane),
  };
}

/** The banner line saying how client registration is protected with this environment. */
export function registrationNotice(env) {
  if (env.REGISTRATION_TOKEN) {
    return '  client registration requires REGISTRATION_TOKEN as its initial access token (open registration is off)';
  }
  if (
    ['true', '1', 'yes'].includes(
      String(env.ALLOW_OPEN_REGISTRATION ?? '')
        .trim()
        .toLowerCase(),
    )
  ) {
    return '  open client registration is ON (local only): POST /oauth/register needs no initial access token';
  }
  return '  client registration is off (set REGISTRATION_TOKEN, or ALLOW_OPEN_REGISTRATION=true)';
}
