/**
 * Dynamic client registration (RFC 7591) and client configuration management (RFC 7592).
 *
 * - `POST /oauth/register`: with REGISTRATION_TOKEN configured, the request must carry it as a bearer token (the
 *   initial access token); without it, registration is open only when ALLOW_OPEN_REGISTRATION=true, and refused
 *   (403 access_denied) otherwise. What is registered (scope, allowed_resources, grant_types) is also recorded as
 *   the client's approved ceiling (../domain/registration-ceiling.ts).
 * - The metadata rules are the authorization-code ones (../../authorize/domain/client-registration.ts) layered on the
 *   client_credentials ones: redirect URIs per application type, `token_endpoint_auth_method: none` for public
 *   clients (which get no secret), post-logout redirect URIs. With the initial access token, `first_party: true`
 *   marks a client whose users are not asked for consent (an operator flag, never self-asserted).
 * - The server generates `client_id` (128 random bits), `client_secret` and `registration_access_token` (256 bits
 *   each) and returns the two secrets once; only their SHA-256 hashes are stored. The registration access token
 *   lives REGISTRATION_ACCESS_TOKEN_TTL_SECONDS.
 * - `GET/PUT/DELETE /oauth/register/:client_id` need the registration access token. An unknown or deleted client,
 *   a wrong or expired token, is 401 `invalid_token` (RFC 7592 §2). Responses never contain the client secret again.
 * - PUT replaces the metadata (RFC 7592 §2.2): `client_id` must be present and equal; a `client_secret`, if sent,
 *   must be the current one; the server-managed fields are ignored.
 *   - With the registration access token (the client itself): scope, allowed_resources and grant_types may move
 *     anywhere inside the approved ceiling, never beyond it (400 `invalid_client_metadata`); `rate_limit` is
 *     ignored. Each successful update rotates the token (RFC 7592 §3): the response carries the new one, with a
 *     fresh lifetime, and the old one stops working. The write is a compare-and-set, so of two updates made with
 *     the same token only one succeeds; the other gets 401.
 *   - With the initial access token (the operator): the update may widen, and the ceiling moves with it; it may
 *     set `rate_limit` (absent keeps the current one, null removes it). The client's registration access token is
 *     left as it is: the operator does not hold it, and rotating it would silently cut the client off.
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
} from '../domain/client-metadata.js';
import { validateRedirectClientMetadata } from '../../authorize/domain/client-registration.js';
import type { ClientRow } from '../domain/client-store.js';
import {
  approvalOf,
  describeWidening,
  isWidening,
  registrationTokenUsable,
  widenedBeyondApproval,
} from '../domain/registration-ceiling.js';

function invalidToken(description: string): OAuthError {
  return new OAuthError('invalid_token', description, 401, {
    'www-authenticate': bearerChallenge('registration', 'invalid_token'),
  });
}

function tokenRequired(description: string): OAuthError {
  return new OAuthError('invalid_token', description, 401, { 'www-authenticate': bearerChallenge('registration') });
}

/** Whether `presented` is the initial access token (constant-time; false when none is configured). */
async function isInitialAccessToken(config: AuthConfig, presented: string | undefined): Promise<boolean> {
  if (!config.REGISTRATION_TOKEN || !presented) return false;
  return timingSafeEqualStrings(presented, config.REGISTRATION_TOKEN);
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

/**
 * Validates with the authorization-code rules (redirect URIs per application type, `none` for public clients,
 * post-logout redirect URIs) layered on the client_credentials ones. The stored metadata keeps
 * `token_endpoint_auth_method: "none"` as registered; the client_credentials path never accepts it.
 */
function validate(doc: unknown, policy: MetadataPolicy): ClientMetadata {
  try {
    return validateRedirectClientMetadata(doc, policy) as unknown as ClientMetadata;
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
  row: Pick<
    ClientRow,
    'clientId' | 'clientIdIssuedAt' | 'clientSecretExpiresAt' | 'metadata' | 'rateLimit' | 'firstParty'
  >,
  secrets: { client_secret?: string; registration_access_token?: string } = {},
): Record<string, unknown> {
  const doc: Record<string, unknown> = { client_id: row.clientId };
  if (row.firstParty) doc.first_party = true;
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

function parseRateLimitField(value: unknown): RateLimitSetting | null {
  try {
    return parseRateLimit(value) ?? null;
  } catch (err) {
    if (err instanceof ClientMetadataError) throw new OAuthError(err.error, err.message);
    throw err;
  }
}

export async function registrationEndpoint(c: AuthContext): Promise<Response> {
  const { config, clients } = c.get('services');
  const ip = clientAddress(c.req.raw, config.TRUST_PROXY_HEADERS);
  await enforceRateLimit(c, { endpoint: 'register', ip });
  const privileged = await authorizeRegistration(c, config);
  const doc = await readOAuthJson(c);
  const metadata = validate(doc, metadataPolicy(config, privileged));
  const rateLimit = privileged ? parseRateLimitField((doc as Record<string, unknown>).rate_limit) : null;

  // A public client (token_endpoint_auth_method "none") gets no secret: it could not keep one.
  const isPublic = (metadata.token_endpoint_auth_method as string) === 'none';
  const clientSecret = isPublic ? undefined : randomToken(32);
  const firstParty = privileged && (doc as Record<string, unknown>).first_party === true;
  const registrationAccessToken = randomToken(32);
  const row = await clients.insert({
    clientId: randomToken(16),
    secretHash: clientSecret ? await hashClientSecret(clientSecret) : null,
    firstParty,
    registrationTokenHash: await hashClientSecret(registrationAccessToken),
    registrationTokenExpiresAt: Date.now() + config.REGISTRATION_ACCESS_TOKEN_TTL_SECONDS * 1000,
    metadata,
    approval: approvalOf(metadata),
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
 * Authenticates an RFC 7592 request: the registration access token of a live client, unexpired; or, when
 * `allowOperator` and the bearer is the initial access token, the operator. Returns the row, the client address
 * (for the request's events) and who called.
 */
async function managedClient(
  c: AuthContext,
  allowOperator = false,
): Promise<{ row: ClientRow; ip: string; operator: boolean }> {
  const { config, clients } = c.get('services');
  const clientId = c.req.param('client_id') ?? '';
  const ip = clientAddress(c.req.raw, config.TRUST_PROXY_HEADERS);
  await enforceRateLimit(c, { endpoint: 'register', ip });
  const token = bearerToken(c.req.header('authorization'));
  if (!token) throw tokenRequired('the registration access token is required');
  const operator = allowOperator && (await isInitialAccessToken(config, token));
  const row = clientId.length <= 256 ? await clients.readRow(clientId) : null;
  if (operator) {
    if (row?.status !== 'active') throw invalidToken('the client does not exist');
    return { row, ip, operator };
  }
  // Hash and compare even when the client does not exist, so timing does not tell which ids exist.
  const ok = await verifyClientSecret(token, row?.status === 'active' ? row.registrationTokenHash : null);
  if (row?.status !== 'active' || !ok) {
    throw invalidToken('the registration access token is not valid');
  }
  if (!registrationTokenUsable(row.registrationTokenExpiresAt, Date.now())) {
    throw invalidToken('the registration access token has expired');
  }
  return { row, ip, operator };
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
  const { row, ip, operator } = await managedClient(c, true);
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
  const metadata = validate(fields, metadataPolicy(config, operator));
  let approval = row.approval;
  let rateLimit = row.rateLimit;
  if (operator) {
    // The operator's update is the new approval; its rate_limit (when given) the client's limit.
    approval = approvalOf(metadata);
    if ('rate_limit' in (doc as object)) rateLimit = parseRateLimitField((doc as Record<string, unknown>).rate_limit);
  } else {
    const widening = widenedBeyondApproval(row.approval, metadata);
    if (isWidening(widening)) throw new OAuthError('invalid_client_metadata', describeWidening(widening));
  }
  // The client's own update rotates its token (RFC 7592 §3); the operator's keeps it (see the module comment).
  const rotated = operator ? undefined : randomToken(32);
  const updated = await clients.updateRegistration(row.clientId, {
    expectedVersion: row.version,
    metadata,
    approval,
    rateLimit,
    registrationTokenHash: rotated ? await hashClientSecret(rotated) : (row.registrationTokenHash ?? ''),
    registrationTokenExpiresAt: rotated
      ? Date.now() + config.REGISTRATION_ACCESS_TOKEN_TTL_SECONDS * 1000
      : row.registrationTokenExpiresAt,
  });
  if (!updated) {
    // Another update (made with the same token, or by the operator) won the race, or the client was deleted.
    if (operator) throw new OAuthError('invalid_request', 'the client changed concurrently; read it and retry', 409);
    throw invalidToken('the registration access token is no longer valid');
  }
  emit(c, ip, 'client.updated', 'success', row.clientId, {
    scope: metadata.scope,
    by: operator ? 'initial_access_token' : 'registration_access_token',
  });
  const secrets = rotated ? { registration_access_token: rotated } : {};
  return c.json(clientInformation(config, updated, secrets), 200, NO_STORE);
}

export async function deleteRegistration(c: AuthContext): Promise<Response> {
  const { row, ip } = await managedClient(c);
  if (!(await c.get('services').clients.delete(row.clientId))) throw invalidToken('the client no longer exists');
  emit(c, ip, 'client.deleted', 'success', row.clientId);
  return c.body(null, 204, NO_STORE);
}
