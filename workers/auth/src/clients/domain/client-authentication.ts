/**
 * Client authentication at the token, introspection and revocation endpoints (RFC 6749 §2.3):
 * `client_secret_basic` and `client_secret_post`.
 *
 * - Basic: RFC 6749 §2.3.1 requires the client id and secret to be form-urlencoded *before* they go into the
 *   Basic credentials, so `+` means a space and `%XX` an octet; a naive `atob` + split would mis-read secrets
 *   containing `:`, `%` or `+`.
 * - A client must use exactly one method (RFC 6749 §2.3): Basic together with a `client_secret` form parameter is
 *   `invalid_request`; a `client_id` form parameter beside Basic is tolerated only when it names the same client.
 * - `invalid_client` is a 401, and every 401 carries `WWW-Authenticate` (RFC 9110 §15.5.2): the Basic challenge,
 *   the one HTTP authentication scheme these endpoints support, also when the failed attempt used the body
 *   (client_secret_post). RFC 6749 §5.2 requires it for Basic and allows it otherwise; clients read `error` either
 *   way (oauth4webapi reports such an answer as a WWWAuthenticateChallengeError carrying the body).
 */
import { hashSecret, timingSafeEqualBytes } from '../../../../../shared/crypto.js';
import { base64urlDecode, sha256 } from '../../../../../shared/crypto.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';
export const CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post'];

export interface ClientCredentials {
  method: ClientAuthMethod;
  clientId: string;
  clientSecret: string;
}

export const MAX_CLIENT_ID_LENGTH = 256;
export const MAX_CLIENT_SECRET_LENGTH = 512;
export const BASIC_CHALLENGE = 'Basic realm="oauth", charset="UTF-8"';

export type ClientAuthErrorCode =
  | 'ERR_CLIENT_AUTH_MISSING'
  | 'ERR_CLIENT_AUTH_MALFORMED'
  | 'ERR_CLIENT_AUTH_SCHEME'
  | 'ERR_CLIENT_AUTH_MULTIPLE'
  | 'ERR_CLIENT_AUTH_MISMATCH'
  | 'ERR_CLIENT_AUTH_PUBLIC';

export class ClientAuthenticationError extends Error {
  constructor(
    readonly code: ClientAuthErrorCode,
    /** The RFC 6749 error to answer with. */
    readonly oauthError: 'invalid_client' | 'invalid_request',
    message: string,
  ) {
    super(message);
    this.name = 'ClientAuthenticationError';
  }
  get status(): number {
    return this.oauthError === 'invalid_client' ? 401 : 400;
  }
  get headers(): Record<string, string> {
    return this.oauthError === 'invalid_client' ? { 'www-authenticate': BASIC_CHALLENGE } : {};
  }
}

const malformed = (message: string) =>
  new ClientAuthenticationError('ERR_CLIENT_AUTH_MALFORMED', 'invalid_client', message);

/** application/x-www-form-urlencoded decoding of one value: `+` is a space, `%XX` an octet of UTF-8. */
export function formUrlDecode(value: string): string {
  // Generated ids and secrets are base64url: nothing to decode, so skip the regex and decodeURIComponent.
  if (value.indexOf('%') === -1 && value.indexOf('+') === -1) return value;
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    throw malformed('malformed percent-encoding in the Basic credentials');
  }
}

const BASIC = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i;
const BASIC_SCHEME = /^basic(?: |$)/i;
const NON_ASCII = /[\u0080-\uffff]/;
// Stateless when used without `stream`, so one instance serves every request.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Decodes the Basic credentials' octets as UTF-8 (RFC 7617 charset="UTF-8"); throws on invalid UTF-8. */
function decodeUtf8Octets(binary: string): string {
  // ASCII octets are their own UTF-8 decoding (and cannot be a BOM), which is the usual case.
  if (!NON_ASCII.test(binary)) return binary;
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return utf8.decode(bytes);
}

/** Parses `Authorization: Basic ...` per RFC 7617 and RFC 6749 §2.3.1. */
export function parseBasicCredentials(header: string): { clientId: string; clientSecret: string } {
  if (!BASIC_SCHEME.test(header)) {
    throw new ClientAuthenticationError(
      'ERR_CLIENT_AUTH_SCHEME',
      'invalid_client',
      'unsupported authentication scheme; use Basic or client_secret_post',
    );
  }
  const match = BASIC.exec(header);
  if (!match || (match[1] as string).length % 4 !== 0) throw malformed('malformed Basic credentials');
  let decoded: string;
  try {
    decoded = decodeUtf8Octets(atob(match[1] as string));
  } catch {
    throw malformed('malformed Basic credentials');
  }
  const colon = decoded.indexOf(':');
  if (colon === -1) throw malformed('Basic credentials must be client_id:client_secret');
  const clientId = formUrlDecode(decoded.slice(0, colon));
  const clientSecret = formUrlDecode(decoded.slice(colon + 1));
  checkLengths(clientId, clientSecret);
  return { clientId, clientSecret };
}

function checkLengths(clientId: string, clientSecret: string): void {
  if (clientId === '') throw malformed('client_id is empty');
  if (clientSecret === '') throw malformed('client_secret is empty');
  if (clientId.length > MAX_CLIENT_ID_LENGTH) throw malformed('client_id is too long');
  if (clientSecret.length > MAX_CLIENT_SECRET_LENGTH) throw malformed('client_secret is too long');
}

/**
 * Extracts the client's credentials from the Authorization header and the (already parsed, duplicate-free) form.
 * Throws ClientAuthenticationError; the caller still has to look the client up and `verifyClientSecret`.
 */
export function parseClientCredentials(
  authorization: string | null | undefined,
  form: ReadonlyMap<string, readonly string[]>,
): ClientCredentials {
  const formId = form.get('client_id')?.[0];
  const formSecret = form.get('client_secret')?.[0];
  if (authorization !== undefined && authorization !== null && authorization !== '') {
    const basic = parseBasicCredentials(authorization);
    if (formSecret !== undefined) {
      throw new ClientAuthenticationError(
        'ERR_CLIENT_AUTH_MULTIPLE',
        'invalid_request',
        'the client must not use more than one authentication method',
      );
    }
    if (formId !== undefined && formId !== basic.clientId) {
      throw new ClientAuthenticationError(
        'ERR_CLIENT_AUTH_MISMATCH',
        'invalid_request',
        'client_id in the body does not match the Basic credentials',
      );
    }
    return { method: 'client_secret_basic', ...basic };
  }
  if (formId === undefined && formSecret === undefined) {
    throw new ClientAuthenticationError(
      'ERR_CLIENT_AUTH_MISSING',
      'invalid_client',
      'client authentication is required',
    );
  }
  if (formId === undefined) throw malformed('client_secret without client_id');
  if (formSecret === undefined) {
    throw new ClientAuthenticationError(
      'ERR_CLIENT_AUTH_PUBLIC',
      'invalid_client',
      'client authentication is required (public clients are not supported)',
    );
  }
  checkLengths(formId, formSecret);
  return { method: 'client_secret_post', clientId: formId, clientSecret: formSecret };
}

/**
 * Compares a presented secret with the stored SHA-256 hash in constant time. Client secrets are 256-bit random
 * values generated by the server, so a fast hash is enough: there is nothing to brute-force, and a slow KDF would
 * only burn CPU on the hot path. An absent hash (deleted client) still costs one hash, and never matches.
 * The stored hash may be given already decoded (`decodeStoredHash`), so a cached client's hash is decoded once.
 */
export async function verifyClientSecret(
  presented: string,
  storedHash: string | Uint8Array | null | undefined,
): Promise<boolean> {
  const actual = await sha256(presented);
  if (!storedHash) return false;
  const expected = typeof storedHash === 'string' ? decodeStoredHash(storedHash) : storedHash;
  return expected !== null && timingSafeEqualBytes(actual, expected);
}

/** The stored base64url hash as bytes, or null when it is not valid base64url (it then never matches). */
export function decodeStoredHash(storedHash: string): Uint8Array | null {
  try {
    return base64urlDecode(storedHash);
  } catch {
    return null;
  }
}

/** The stored form of a new secret. */
export function hashClientSecret(secret: string): Promise<string> {
  return hashSecret(secret);
}
