/**
 * Client authentication at the token, introspection and revocation endpoints, with the endpoint's rate limit and
 * the security events of a failure. The checks themselves are the pure ../domain/client-authentication.ts.
 */
import { OAuthError } from '../../../../../shared/errors.js';
import { emit } from '../../oauth/handlers/common.js';
import type { RateLimitedEndpoint } from '../../rate-limit/domain/limits.js';
import { chargeFailedAuthentication, enforceRateLimit } from '../../rate-limit/handlers/limit.js';
import type { AuthContext } from '../../services.js';
import {
  BASIC_CHALLENGE,
  ClientAuthenticationError,
  decodeStoredHash,
  parseClientCredentials,
  verifyClientSecret,
} from '../domain/client-authentication.js';
import type { ClientRecord } from '../domain/client-store.js';

/**
 * A record's secret hash as bytes, decoded once per record object (cached records live on in the store's isolate
 * cache, and decoding the base64url text on every request was a visible share of the token endpoint's CPU).
 * Records are never mutated, so the bytes stay valid as long as the record does; keyed by the record itself, so
 * the entry goes with it.
 */
const secretHashBytes = new WeakMap<ClientRecord, Uint8Array | null>();

function storedSecretHash(record: ClientRecord): Uint8Array | null {
  let bytes = secretHashBytes.get(record);
  if (bytes === undefined) {
    bytes = record.secretHash ? decodeStoredHash(record.secretHash) : null;
    secretHashBytes.set(record, bytes);
  }
  return bytes;
}

/** `invalid_client` (401) with the Basic challenge, whichever method failed (RFC 9110 §15.5.2). */
function authenticationFailed(): OAuthError {
  return new OAuthError('invalid_client', 'client authentication failed', 401, { 'www-authenticate': BASIC_CHALLENGE });
}

/**
 * Authenticates the calling client (client_secret_basic or client_secret_post) and applies the endpoint's rate
 * limits, in this order: the address's bucket, then the secret, then (only for a verified client) the client's
 * bucket. Nobody can spend a client's bucket without its secret, so wrong secrets sent with a victim's (public)
 * client_id cannot lock it out; they cost the sender's address instead. Unknown, deleted and wrongly authenticated
 * clients get the same `invalid_client`, and the failure is charged extra to the address so secret guessing is
 * throttled. A client must use the method it registered (`token_endpoint_auth_method`) at every endpoint that
 * authenticates it. `ip` is the client address.
 *
 * Hot path: both takes are normally served from local leases (no I/O, no await); when both leases are empty the two
 * owner calls run one after the other instead of in parallel, which a background refill makes rare.
 *
 * Every caller signs or verifies a token next. On a cold isolate, once well-formed credentials passed the address's
 * bucket, the key ring starts loading (KeyRing.preload: reads only, never creates a key), so that its round trips
 * overlap the client lookup's. It is awaited before the client is returned: if the database is unavailable, the
 * request fails here with a 503, before a grant consumes anything (an authorization code, a refresh token), rather
 * than at signing. It starts only after the address's bucket, so a caller can start no more loads than that limit
 * allows.
 */
export async function authenticateClient(
  c: AuthContext,
  form: ReadonlyMap<string, readonly string[]>,
  endpoint: RateLimitedEndpoint,
  ip: string,
): Promise<ClientRecord> {
  let credentials: ReturnType<typeof parseClientCredentials>;
  try {
    credentials = parseClientCredentials(c.req.header('authorization'), form);
  } catch (err) {
    if (!(err instanceof ClientAuthenticationError)) throw err;
    await enforceRateLimit(c, { endpoint, ip });
    if (err.oauthError === 'invalid_client') {
      await chargeFailedAuthentication(c, { ip });
      emit(c, ip, 'client.authentication_failed', 'failure', undefined, { endpoint, reason: err.code });
    }
    throw new OAuthError(err.oauthError, err.message, err.status, err.headers);
  }

  await enforceRateLimit(c, { endpoint, ip });
  const services = c.get('services');
  const keysLoading = services.keys.preload();
  const record = await services.clients.get(credentials.clientId, c.executionCtx);
  const client = record?.status === 'active' ? record : null;
  const secretOk = await verifyClientSecret(credentials.clientSecret, client ? storedSecretHash(client) : null);
  let reason: string | undefined;
  if (!client) reason = 'unknown_client';
  else if (!secretOk) reason = 'wrong_secret';
  else if (client.metadata.token_endpoint_auth_method !== credentials.method) reason = 'auth_method_not_registered';
  if (reason !== undefined || !client) {
    await chargeFailedAuthentication(c, { clientId: client?.clientId, ip });
    emit(c, ip, 'client.authentication_failed', 'failure', client?.clientId, {
      endpoint,
      reason,
      method: credentials.method,
      // An unknown client id is not a secret; it helps spot enumeration.
      ...(client ? {} : { presented_client_id: credentials.clientId.slice(0, 64) }),
    });
    throw authenticationFailed();
  }
  await enforceRateLimit(c, {
    endpoint,
    clientId: client.clientId,
    ip,
    clientLimit: client.rateLimit ?? null,
    clientOnly: true,
  });
  if (keysLoading) await keysLoading;
  return client;
}
