/**
 * RFC 7591 client metadata validation (pure).
 *
 * Only the client_credentials grant exists here, so:
 * - `grant_types` must be `["client_credentials"]` (the default when omitted); anything else is
 *   `invalid_client_metadata` rather than a silently narrowed registration;
 * - `response_types` must be empty: no response type exists without an authorization endpoint;
 * - `token_endpoint_auth_method` is `client_secret_basic` (RFC 7591 default) or `client_secret_post`;
 * - `redirect_uris` are validated (`invalid_redirect_uri`) and stored but inert until a redirect-based grant exists.
 *
 * Extensions (custom metadata, returned as registered):
 * - `allowed_resources`: array of absolute URIs (no fragment). RFC 8707 `resource` values at the token endpoint
 *   must match one of them exactly (string comparison); they become the token's `aud`.
 * - `access_token_lifetime`: seconds, this client's access token lifetime (bounded by the server maximum).
 * - `refresh_token_idle_lifetime`, `refresh_token_absolute_lifetime`: seconds, this client's refresh-token family
 *   lifetimes; they can only shorten the platform's (REFRESH_TOKEN_IDLE_SECONDS / _ABSOLUTE_SECONDS), which apply
 *   when they are longer or absent.
 * - `rate_limit`: `{capacity, refill_per_second}` token bucket for this client. It can only be set by a caller
 *   holding the initial access token (REGISTRATION_TOKEN), never by open registration or by the client itself
 *   through RFC 7592 (a client must not raise its own limit).
 *
 * Standard descriptive fields (client_name, client_uri, logo_uri, tos_uri, policy_uri, contacts, software_id,
 * software_version) are validated and kept. Fields this server does not use (jwks, jwks_uri, software_statement,
 * and unknown ones) are ignored, as RFC 7591 §2 requires, and so are absent from the response.
 */
import { CLIENT_AUTH_METHODS, type ClientAuthMethod } from './client-authentication.js';
import { formatScope, parseScope, ScopeSyntaxError, scopesOutside } from '../../tokens/domain/scope.js';

export interface RateLimitSetting {
  capacity: number;
  refillPerSecond: number;
}

export interface ClientMetadata {
  redirect_uris: string[];
  grant_types: string[];
  response_types: string[];
  token_endpoint_auth_method: ClientAuthMethod;
  scope: string;
  allowed_resources: string[];
  access_token_lifetime?: number;
  /** Seconds; shorten the platform's refresh-token idle and absolute lifetimes for this client (never lengthen). */
  refresh_token_idle_lifetime?: number;
  refresh_token_absolute_lifetime?: number;
  client_name?: string;
  client_uri?: string;
  logo_uri?: string;
  tos_uri?: string;
  policy_uri?: string;
  contacts?: string[];
  software_id?: string;
  software_version?: string;
}

export interface MetadataPolicy {
  /** Largest `access_token_lifetime` allowed (ACCESS_TOKEN_MAX_TTL_SECONDS). */
  maxTokenLifetime: number;
  /** When non-empty, registered scopes must be among these. */
  scopesSupported: readonly string[];
  /** When non-empty, allowed_resources must be among these. */
  resourcesSupported: readonly string[];
  /** True when the caller presented the initial access token: may set `rate_limit`. */
  privileged: boolean;
}

export const MIN_TOKEN_LIFETIME = 30;
const MAX_LIST = 20;
const MAX_STRING = 2048;
const MAX_NAME = 256;

export class ClientMetadataError extends Error {
  readonly code = 'ERR_CLIENT_METADATA';
  constructor(
    readonly error: 'invalid_client_metadata' | 'invalid_redirect_uri',
    message: string,
  ) {
    super(message);
    this.name = 'ClientMetadataError';
  }
}

const invalid = (message: string) => new ClientMetadataError('invalid_client_metadata', message);

function optionalString(doc: Record<string, unknown>, name: string, max = MAX_STRING): string | undefined {
  const value = doc[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(`${name} must be a string`);
  if (value.length > max) throw invalid(`${name} is longer than ${max} characters`);
  return value;
}

function stringList(doc: Record<string, unknown>, name: string, error = invalid): string[] | undefined {
  const value = doc[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw error(`${name} must be an array of strings`);
  if (value.length > MAX_LIST) throw error(`${name} has more than ${MAX_LIST} entries`);
  for (const v of value) {
    if (typeof v !== 'string' || v === '') throw error(`${name} must contain non-empty strings`);
    if (v.length > MAX_STRING) throw error(`an entry of ${name} is longer than ${MAX_STRING} characters`);
  }
  return [...new Set(value as string[])];
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

function webUrl(doc: Record<string, unknown>, name: string): string | undefined {
  const value = optionalString(doc, name);
  if (value === undefined) return undefined;
  const url = parseUrl(value);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) throw invalid(`${name} must be an http(s) URL`);
  return value;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** https, http on a loopback host (RFC 8252 §7.3), or a private-use scheme in reverse-domain form (§7.1). */
export function isAcceptableRedirectUri(value: string): boolean {
  if (value.includes('#')) return false;
  const url = parseUrl(value);
  if (!url) return false;
  if (url.protocol === 'https:') return url.hostname !== '';
  if (url.protocol === 'http:') return LOOPBACK.has(url.hostname);
  const scheme = url.protocol.slice(0, -1);
  return scheme.includes('.') && !['javascript', 'data', 'file', 'vbscript'].includes(scheme);
}

/** An RFC 8707 resource indicator: an absolute URI without a fragment. */
export function isResourceIndicator(value: string): boolean {
  if (value.includes('#') || value.length > MAX_STRING) return false;
  const url = parseUrl(value);
  return url !== undefined && /^[a-z][a-z0-9+.-]*:$/.test(url.protocol);
}

function lifetime(
  doc: Record<string, unknown>,
  max: number,
  field = 'access_token_lifetime',
  min = MIN_TOKEN_LIFETIME,
): number | undefined {
  const value = doc[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalid(`${field} must be an integer`);
  if (value < min || value > max) throw invalid(`${field} must be between ${min} and ${max} seconds`);
  return value;
}

/** Bounds of the refresh-token lifetimes a client may register (the platform's own settings cap them at use). */
export const REFRESH_LIFETIME_BOUNDS = { min: 1, max: 365 * 86_400 } as const;

/** Parses the `rate_limit` extension; undefined when absent. */
export function parseRateLimit(value: unknown): RateLimitSetting | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid('rate_limit must be an object');
  const { capacity, refill_per_second: refill } = value as Record<string, unknown>;
  if (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < 1 || capacity > 1_000_000) {
    throw invalid('rate_limit.capacity must be an integer between 1 and 1000000');
  }
  if (typeof refill !== 'number' || !Number.isFinite(refill) || refill <= 0 || refill > 1_000_000) {
    throw invalid('rate_limit.refill_per_second must be a number in (0, 1000000]');
  }
  return { capacity, refillPerSecond: refill };
}

/** Validates a registration (or RFC 7592 update) document. Throws ClientMetadataError. */
export function validateClientMetadata(input: unknown, policy: MetadataPolicy): ClientMetadata {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalid('the client metadata must be a JSON object');
  }
  const doc = input as Record<string, unknown>;

  const grantTypes = stringList(doc, 'grant_types') ?? ['client_credentials'];
  if (grantTypes.length === 0 || grantTypes.some((g) => g !== 'client_credentials')) {
    throw invalid('grant_types must be client_credentials: it is the only grant this server implements');
  }
  const responseTypes = stringList(doc, 'response_types') ?? [];
  if (responseTypes.length > 0) throw invalid('response_types must be empty: no response type is supported');

  const method = doc.token_endpoint_auth_method ?? 'client_secret_basic';
  if (typeof method !== 'string' || !(CLIENT_AUTH_METHODS as readonly string[]).includes(method)) {
    throw invalid(`token_endpoint_auth_method must be one of ${CLIENT_AUTH_METHODS.join(', ')}`);
  }

  const redirectError = (m: string) => new ClientMetadataError('invalid_redirect_uri', m);
  const redirectUris = stringList(doc, 'redirect_uris', redirectError) ?? [];
  // Errors name the field and index, never the client's value (it may hold anything).
  redirectUris.forEach((uri, i) => {
    if (!isAcceptableRedirectUri(uri)) throw redirectError(`redirect_uris[${i}] is not acceptable`);
  });

  let scopes: string[];
  const scopeText = optionalString(doc, 'scope', 4096) ?? '';
  try {
    scopes = parseScope(scopeText);
  } catch (err) {
    if (err instanceof ScopeSyntaxError) throw invalid(`scope: ${err.message}`);
    throw err;
  }
  if (policy.scopesSupported.length > 0) {
    const extra = scopesOutside(scopes, policy.scopesSupported);
    if (extra.length > 0) throw invalid(`scope not supported: ${extra.slice(0, 5).join(' ')}`);
  }

  const resources = stringList(doc, 'allowed_resources') ?? [];
  resources.forEach((r, i) => {
    if (!isResourceIndicator(r)) throw invalid(`allowed_resources[${i}] is not an absolute URI without fragment`);
    if (policy.resourcesSupported.length > 0 && !policy.resourcesSupported.includes(r)) {
      throw invalid(`allowed_resources[${i}] is not a supported resource (RESOURCES_SUPPORTED)`);
    }
  });

  if (doc.rate_limit !== undefined && doc.rate_limit !== null && !policy.privileged) {
    throw invalid('rate_limit can only be set with the initial access token');
  }

  const metadata: ClientMetadata = {
    redirect_uris: redirectUris,
    grant_types: grantTypes,
    response_types: responseTypes,
    token_endpoint_auth_method: method as ClientAuthMethod,
    scope: formatScope(scopes),
    allowed_resources: resources,
  };
  const ttl = lifetime(doc, policy.maxTokenLifetime);
  if (ttl !== undefined) metadata.access_token_lifetime = ttl;
  for (const field of ['refresh_token_idle_lifetime', 'refresh_token_absolute_lifetime'] as const) {
    const value = lifetime(doc, REFRESH_LIFETIME_BOUNDS.max, field, REFRESH_LIFETIME_BOUNDS.min);
    if (value !== undefined) metadata[field] = value;
  }
  const name = optionalString(doc, 'client_name', MAX_NAME);
  if (name !== undefined) metadata.client_name = name;
  for (const field of ['client_uri', 'logo_uri', 'tos_uri', 'policy_uri'] as const) {
    const value = webUrl(doc, field);
    if (value !== undefined) metadata[field] = value;
  }
  const contacts = stringList(doc, 'contacts');
  if (contacts !== undefined) metadata.contacts = contacts;
  for (const field of ['software_id', 'software_version'] as const) {
    const value = optionalString(doc, field, MAX_NAME);
    if (value !== undefined) metadata[field] = value;
  }
  return metadata;
}
