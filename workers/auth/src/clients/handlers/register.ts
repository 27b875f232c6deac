/**
 * Dynamic client registration (RFC 7591) and client configuration management (RFC 7592).
 *
 * - `POST /oauth/register`: with REGISTRATION_TOKEN configured, the request must carry it as a bearer token (the
 *   initial access token); without it, registration is open only when ALLOW_OPEN_REGISTRATION=true, and refused
 *   (403 access_denied) otherwise.
 * - The server generates `client_id` (128 random bits), `client_secret` and `registration_access_token` (256 bits
 *   each) and returns the two secrets once; only their SHA-256 hashes are stored.
 * - `GET/PUT/DELETE /oauth/register/:client_id` need the registration access token. An unknown or deleted client,
 *   or a wrong token, is 401 `invalid_token` (RFC 7592 §2). Responses never contain the client secret again.
 * - PUT replaces the metadata (RFC 7592 §2.2): `client_id` must be present and equal; a `client_secret`, if sent,
 *   must be the current one; the server-managed fields are ignored, and so is `rate_limit` (a client must not
 *   change its own limit).
 */
import { bearerChallenge, bearerToken } from '../../../../../shared/bearer.js';
import { clientAddress } from '../../../../../shared/client-address.js';
import { randomToken, timingSafeEqualStrings } from '../../../../../shared/crypto.js';
import { OAuthError } from '../../../../../shared/errors.js';
import { type AuthConfig, baseUrl } from '../../env.js';
import { emit, NO_STORE, readOAuthJson } from '../../oauth/handlers/common.js';
import { enforceRateLimit } from '../../rate-limit/handlers/limit.js';
import type { AuthContext } from '../../services.js';
import { hashClientSecret, verifyClientSecret } from '../domain/client-authentication.js';
import {
  type ClientMetadata,
  ClientMetadataError,
  type MetadataPolicy,
  parseRateLimit,
  type RateLimitSetting,
  validateClientMetadata,
} from '../domain/client-metadata.js';
import type { ClientRow } from '../domain/client-store.js';

function invalidToken(description: string): OAuthError {
  return new OAuthError('invalid_token', description, 401, {
    'www-authenticate': bearerChallenge('registration', 'invalid_token'),
  });
}

function tokenRequired(description: string): OAuthError {
  return new OAuthError('invalid_token', description, 401, { 'www-authenticate': bearerChallenge('registration') });
}

/** Checks the initial access token. Returns whether the caller is privileged (held REGISTRATION_TOKEN). */
async function authorizeRegistration(c: AuthContext, config: AuthConfig): Promise<boolean> {
  const presented = bearerToken(c.req.header('authorization'));
  if (config.REGISTRATION_TOKEN) {
    if (!presented) throw tokenRequired('an initial access token is required');
    if (!(await timingSafeEqualStrings(presented, config.REGISTRATION_TOKEN))) {
      throw invalidToken('the initial access token is not valid');
    }
    return true;
  }
  if (!config.ALLOW_OPEN_REGISTRATION)
    throw new OAuthError('access_denied', 'dynamic client registration is disabled', 403);
  return false;
}

function metadataPolicy(config: AuthConfig, privileged: boolean): MetadataPolicy {
  return {
    maxTokenLifetime: config.ACCESS_TOKEN_MAX_TTL_SECONDS,
    scopesSupported: config.SCOPES_SUPPORTED,
    resourcesSupported: config.RESOURCES_SUPPORTED,
    privileged,
  };
}

function validate(doc: unknown, policy: MetadataPolicy): ClientMetadata {
  try {
    return validateClientMetadata(doc, policy);
  } catch (err) {
    if (err instanceof ClientMetadataError) throw new OAuthError(err.error, err.message);
    throw err;
  }
}

function registrationClientUri(config: AuthConfig, clientId: string): string {
  return `${baseUrl(config)}/oauth/register/${encodeURIComponent(clientId)}`;
}

/** The client information response (RFC 7591 §3.2.1, RFC 7592 §3). */
function clientInformation(
  config: AuthConfig,
  row: Pick<ClientRow, 'clientId' | 'clientIdIssuedAt' | 'clientSecretExpiresAt' | 'metadata' | 'rateLimit'>,
  secrets: { client_secret?: string; registration_access_token?: string } = {},
): Record<string, unknown> {
  const doc: Record<string, unknown> = { client_id: row.clientId };
  if (secrets.client_secret) doc.client_secret = secrets.client_secret;
  doc.client_id_issued_at = row.clientIdIssuedAt;
  doc.client_secret_expires_at = row.clientSecretExpiresAt;
  if (secrets.registration_access_token) doc.registration_access_token = secrets.registration_access_token;
  doc.registration_client_uri = registrationClientUri(config, row.clientId);
  Object.assign(doc, row.metadata);
  if (row.rateLimit)
    doc.rate_limit = { capacity: row.rateLimit.capacity, refill_per_second: row.rateLimit.refillPerSecond };
  return doc;
}

export async function registrationEndpoint(c: AuthContext): Promise<Response> {
  const { config, clients } = c.get('services');
  const ip = clientAddress(c.req.raw, config.TRUST_PROXY_HEADERS);
  await enforceRateLimit(c, { endpoint: 'register', ip });
  const privileged = await authorizeRegistration(c, config);
  const doc = await readOAuthJson(c);
  const metadata = validate(doc, metadataPolicy(config, privileged));
  let rateLimit: RateLimitSetting | null = null;
  if (privileged) {
    try {
      rateLimit = parseRateLimit((doc as Record<string, unknown>).rate_limit) ?? null;
    } catch (err) {
      if (err instanceof ClientMetadataError) throw new OAuthError(err.error, err.message);
      throw err;
    }
  }

  const clientSecret = randomToken(32);
  const registrationAccessToken = randomToken(32);
  const row = await clients.insert({
    clientId: randomToken(16),
    secretHash: await hashClientSecret(clientSecret),
    registrationTokenHash: await hashClientSecret(registrationAccessToken),
    metadata,
    rateLimit,
    clientIdIssuedAt: Math.floor(Date.now() / 1000),
  });
  emit(c, ip, 'client.registered', 'success', row.clientId, {
    client_name: metadata.client_name,
    scope: metadata.scope,
    open_registration: !privileged,
  });
  return c.json(
    clientInformation(config, row, { client_secret: clientSecret, registration_access_token: registrationAccessToken }),
    201,
    NO_STORE,
  );
}

/**
 * Authenticates an RFC 7592 request: the registration access token of a live client. Returns the row and the
 * client address (for the request's events).
 */
async function managedClient(c: AuthContext): Promise<{ row: ClientRow; ip: string }> {
  const { config, clients } = c.get('services');
  const clientId = c.req.param('client_id') ?? '';
  const ip = clientAddress(c.req.raw, config.TRUST_PROXY_HEADERS);
  await enforceRateLimit(c, { endpoint: 'register', ip });
  const token = bearerToken(c.req.header('authorization'));
  if (!token) throw tokenRequired('the registration access token is required');
  const row = clientId.length <= 256 ? await clients.readRow(clientId) : null;
  // Hash and compare even when the client does not exist, so timing does not tell which ids exist.
  const ok = await verifyClientSecret(token, row?.status === 'active' ? row.registrationTokenHash : null);
  if (row?.status !== 'active' || !ok) {
    throw invalidToken('the registration access token is not valid');
  }
  return { row, ip };
}

export async function readRegistration(c: AuthContext): Promise<Response> {
  const { row } = await managedClient(c);
  return c.json(clientInformation(c.get('services').config, row), 200, NO_STORE);
}

const SERVER_MANAGED = [
  'registration_access_token',
  'registration_client_uri',
  'client_secret_expires_at',
  'client_id_issued_at',
  'rate_limit',
];

export async function updateRegistration(c: AuthContext): Promise<Response> {
  const { config, clients } = c.get('services');
  const { row, ip } = await managedClient(c);
  const doc = await readOAuthJson(c);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new OAuthError('invalid_client_metadata', 'the client metadata must be a JSON object');
  }
  const fields = { ...(doc as Record<string, unknown>) };
  if (fields.client_id !== row.clientId) {
    throw new OAuthError('invalid_client_metadata', 'client_id must be present and equal to the registered one');
  }
  if (fields.client_secret !== undefined) {
    const matches =
      typeof fields.client_secret === 'string' && (await verifyClientSecret(fields.client_secret, row.secretHash));
    if (!matches)
      throw new OAuthError(
        'invalid_client_metadata',
        'client_secret does not match; it cannot be chosen by the client',
      );
  }
  for (const name of ['client_id', 'client_secret', ...SERVER_MANAGED]) delete fields[name];
  const metadata = validate(fields, metadataPolicy(config, false));
  const updated = await clients.updateMetadata(row.clientId, metadata);
  if (!updated) throw invalidToken('the client no longer exists');
  emit(c, ip, 'client.updated', 'success', row.clientId, { scope: metadata.scope });
  return c.json(clientInformation(config, updated), 200, NO_STORE);
}

export async function deleteRegistration(c: AuthContext): Promise<Response> {
  const { row, ip } = await managedClient(c);
  if (!(await c.get('services').clients.delete(row.clientId))) throw invalidToken('the client no longer exists');
  emit(c, ip, 'client.deleted', 'success', row.clientId);
  return c.body(null, 204, NO_STORE);
}
