/**
 * JWT access tokens (RFC 9068): signing and verification with WebCrypto directly.
 *
 * Signing is on the hot path, so the protected header of each key is encoded once and only the claims are
 * serialised per token. Verification accepts exactly what this server issues and nothing else:
 * - `alg` must be one of the algorithms we sign with (never `none`, never HMAC), and must match the key's;
 * - `typ` must be `at+jwt` (or its full media type `application/at+jwt`), so an ID token or any other JWT signed
 *   by the same keys cannot pass as an access token (RFC 9068 §4);
 * - `crit` is rejected (we understand no extensions), `kid` must name a published key;
 * - `iss` must equal the issuer exactly; `exp`, `iat`, `jti`, `sub`, `client_id` and `aud` must be well formed.
 */
import { base64url, base64urlDecode } from '../../../../../shared/crypto.js';

export type SigningAlg = 'ES256' | 'EdDSA';
export const SIGNING_ALGS: readonly SigningAlg[] = ['ES256', 'EdDSA'];
export const ACCESS_TOKEN_TYP = 'at+jwt';
export const MAX_TOKEN_LENGTH = 8192;

export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  jti: string;
  client_id: string;
  scope?: string;
  /**
   * The refresh-token family the token was issued from (its state key: SHA-256 of the family's secret, never a
   * token). Introspection checks it against the denylist, so revoking the family deactivates its access tokens.
   */
  rfid?: string;
  /**
   * How the user authenticated (RFC 9068 §2.2.1), for a resource server that needs more (RFC 9470): set on tokens
   * from an authorization code and on those refreshed from them (the same sign-in); absent on machine tokens.
   */
  acr?: string;
  amr?: string[];
  auth_time?: number;
}

/** The authentication claims of a user's access token (RFC 9068 §2.2.1), from the sign-in it descends from. */
export function authenticationClaims(authn: {
  authTime: number;
  amr: string[];
  acr?: string | undefined;
}): Pick<AccessTokenClaims, 'acr' | 'amr' | 'auth_time'> {
  return { amr: authn.amr, auth_time: authn.authTime, ...(authn.acr !== undefined ? { acr: authn.acr } : {}) };
}

export interface SigningKey {
  kid: string;
  alg: SigningAlg;
  privateKey: CryptoKey;
}

export interface VerificationKey {
  kid: string;
  alg: SigningAlg;
  publicKey: CryptoKey;
}

export type AccessTokenErrorCode =
  | 'ERR_JWT_MALFORMED'
  | 'ERR_JOSE_ALG_NOT_ALLOWED'
  | 'ERR_JWT_TYP_INVALID'
  | 'ERR_JOSE_CRIT_UNSUPPORTED'
  | 'ERR_JWKS_NO_MATCHING_KEY'
  | 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'
  | 'ERR_JWT_ISSUER_INVALID'
  | 'ERR_JWT_EXPIRED'
  | 'ERR_JWT_NOT_YET_VALID'
  | 'ERR_JWT_CLAIM_INVALID';

export class AccessTokenError extends Error {
  constructor(
    readonly code: AccessTokenErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AccessTokenError';
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** WebCrypto parameters for each JWS algorithm we use (ES256 signatures are raw r||s, exactly the JWS form). */
export function webCryptoAlgorithm(alg: SigningAlg): { name: string; hash?: string } {
  return alg === 'ES256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'Ed25519' };
}

const headerCache = new WeakMap<CryptoKey, string>();

function encodedHeader(key: SigningKey): string {
  let header = headerCache.get(key.privateKey);
  if (header === undefined) {
    header = base64url(encoder.encode(JSON.stringify({ alg: key.alg, typ: ACCESS_TOKEN_TYP, kid: key.kid })));
    headerCache.set(key.privateKey, header);
  }
  return header;
}

export async function signAccessToken(claims: AccessTokenClaims, key: SigningKey): Promise<string> {
  const input = `${encodedHeader(key)}.${base64url(encoder.encode(JSON.stringify(claims)))}`;
  const signature = await crypto.subtle.sign(webCryptoAlgorithm(key.alg), key.privateKey, encoder.encode(input));
  return `${input}.${base64url(new Uint8Array(signature))}`;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;

function decodeJsonObject(segment: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(base64urlDecode(segment)));
  } catch {
    throw new AccessTokenError('ERR_JWT_MALFORMED', `${what} is not base64url-encoded JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AccessTokenError('ERR_JWT_MALFORMED', `${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * Protected headers, decoded once per distinct header segment. Every token signed with one key has the same
 * header, and introspection reads it twice (key lookup, then verification), so this turns two base64url + JSON
 * decodes per request into a Map lookup. Entries are frozen (shared between requests); the map is bounded and
 * simply emptied when full, so tokens with arbitrary headers cannot grow it. Failures are not cached.
 */
const HEADER_CACHE_MAX = 64;
const headers = new Map<string, Readonly<Record<string, unknown>>>();

function decodeHeader(segment: string): Readonly<Record<string, unknown>> {
  let header = headers.get(segment);
  if (header === undefined) {
    header = Object.freeze(decodeJsonObject(segment, 'the protected header'));
    if (headers.size >= HEADER_CACHE_MAX) headers.clear();
    headers.set(segment, header);
  }
  return header;
}

export interface VerifyOptions {
  issuer: string;
  /** Looks up a published key by `kid` (pending, active, or retired but not yet expired). */
  key: (kid: string) => VerificationKey | undefined;
  /** Current time in seconds. */
  now: number;
  /** Seconds of clock skew tolerated on `iat`/`nbf` (issuer and verifier are the same service: default 0). */
  clockTolerance?: number;
  /**
   * The longest lifetime (`exp - iat`) this server issues (ACCESS_TOKEN_MAX_TTL_SECONDS). A token living longer was
   * not issued by the token endpoint: whoever signed it had the key. Such tokens fail (ERR_JWT_CLAIM_INVALID), so a
   * leaked key cannot mint tokens that outlive every real one. Lowering the setting makes longer, still-valid
   * tokens inactive: that fails closed.
   */
  maxLifetimeSeconds?: number;
  /**
   * Tokens whose signature this isolate has already checked (verified-tokens.ts). On a hit for the same token and
   * the same key object, the signature check and the claims' decoding are skipped; everything else (the header
   * rules, the key still published, times, lifetime, claim shapes) is checked again on every call.
   */
  verified?: VerifiedTokenCache;
}

/** What a verified-signature cache keeps per token: the key that verified it and the decoded, frozen claims. */
export interface VerifiedSignature {
  publicKey: CryptoKey;
  claims: Readonly<Record<string, unknown>>;
}

export interface VerifiedTokenCache {
  get(token: string): VerifiedSignature | undefined;
  set(token: string, entry: VerifiedSignature): void;
}

/** Reads the header and claims without verifying anything (for the `kid`). */
export function decodeProtectedHeader(token: string): Readonly<Record<string, unknown>> {
  const dot = token.indexOf('.');
  const head = dot === -1 ? token : token.slice(0, dot);
  if (!SEGMENT.test(head)) throw new AccessTokenError('ERR_JWT_MALFORMED', 'not a JWS compact serialization');
  return decodeHeader(head);
}

const isNumericDate = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** Verifies a JWT access token issued by this server and returns its claims, or throws AccessTokenError. */
export async function verifyAccessToken(token: string, opts: VerifyOptions): Promise<AccessTokenClaims> {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    throw new AccessTokenError('ERR_JWT_MALFORMED', 'token is empty or too long');
  }
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => SEGMENT.test(p))) {
    // This also rejects `alg: none` tokens in their usual form (empty signature).
    throw new AccessTokenError('ERR_JWT_MALFORMED', 'not a signed JWT in compact serialization');
  }
  const [head, body, sig] = parts as [string, string, string];
  const header = decodeHeader(head);
  const alg = header.alg;
  if (typeof alg !== 'string' || !(SIGNING_ALGS as readonly string[]).includes(alg)) {
    throw new AccessTokenError('ERR_JOSE_ALG_NOT_ALLOWED', `alg ${String(alg)} is not accepted`);
  }
  const typ = typeof header.typ === 'string' ? header.typ.toLowerCase() : undefined;
  if (typ !== ACCESS_TOKEN_TYP && typ !== `application/${ACCESS_TOKEN_TYP}`) {
    throw new AccessTokenError('ERR_JWT_TYP_INVALID', 'typ must be at+jwt');
  }
  if (header.crit !== undefined) throw new AccessTokenError('ERR_JOSE_CRIT_UNSUPPORTED', 'crit is not supported');
  if (!isNonEmptyString(header.kid)) throw new AccessTokenError('ERR_JWKS_NO_MATCHING_KEY', 'kid is missing');
  const key = opts.key(header.kid);
  if (!key) throw new AccessTokenError('ERR_JWKS_NO_MATCHING_KEY', 'no published key matches the kid');
  if (key.alg !== alg) throw new AccessTokenError('ERR_JOSE_ALG_NOT_ALLOWED', 'alg does not match the key');

  const seen = opts.verified?.get(token);
  if (seen && seen.publicKey === key.publicKey) return checkClaims(seen.claims, opts);
  const claims = await verifiedPayload(head, body, sig, key);
  const checked = checkClaims(claims, opts);
  opts.verified?.set(token, { publicKey: key.publicKey, claims });
  return checked;
}

/** The signature check, then the payload decoded (frozen: a cache may hand it to later calls). */
async function verifiedPayload(
  head: string,
  body: string,
  sig: string,
  key: VerificationKey,
): Promise<Readonly<Record<string, unknown>>> {
  const alg = key.alg;
  let signature: Uint8Array;
  try {
    signature = base64urlDecode(sig);
  } catch {
    throw new AccessTokenError('ERR_JWT_MALFORMED', 'the signature is not base64url');
  }
  if (alg === 'ES256' && signature.byteLength !== 64) {
    throw new AccessTokenError('ERR_JWS_SIGNATURE_VERIFICATION_FAILED', 'signature verification failed');
  }
  const valid = await crypto.subtle.verify(
    webCryptoAlgorithm(key.alg),
    key.publicKey,
    signature as BufferSource,
    encoder.encode(`${head}.${body}`),
  );
  if (!valid) throw new AccessTokenError('ERR_JWS_SIGNATURE_VERIFICATION_FAILED', 'signature verification failed');

  const claims = decodeJsonObject(body, 'the claims');
  const aud = claims.aud;
  if (Array.isArray(aud)) Object.freeze(aud);
  return Object.freeze(claims);
}

/** The claims' rules, checked on every call (a cached signature does not make an expired token valid). */
function checkClaims(claims: Readonly<Record<string, unknown>>, opts: VerifyOptions): AccessTokenClaims {
  const tolerance = opts.clockTolerance ?? 0;
  if (claims.iss !== opts.issuer) throw new AccessTokenError('ERR_JWT_ISSUER_INVALID', 'unexpected iss');
  if (!isNumericDate(claims.exp)) throw new AccessTokenError('ERR_JWT_CLAIM_INVALID', 'exp is missing or invalid');
  if (claims.exp <= opts.now - tolerance) throw new AccessTokenError('ERR_JWT_EXPIRED', 'token is expired');
  if (!isNumericDate(claims.iat)) throw new AccessTokenError('ERR_JWT_CLAIM_INVALID', 'iat is missing or invalid');
  if (claims.iat > opts.now + tolerance) throw new AccessTokenError('ERR_JWT_NOT_YET_VALID', 'iat is in the future');
  if (opts.maxLifetimeSeconds !== undefined && claims.exp - claims.iat > opts.maxLifetimeSeconds) {
    throw new AccessTokenError('ERR_JWT_CLAIM_INVALID', 'the token lives longer than this server issues tokens');
  }
  if (claims.nbf !== undefined) {
    if (!isNumericDate(claims.nbf)) throw new AccessTokenError('ERR_JWT_CLAIM_INVALID', 'nbf is invalid');
    if (claims.nbf > opts.now + tolerance)
      throw new AccessTokenError('ERR_JWT_NOT_YET_VALID', 'token is not yet valid');
  }
  for (const name of ['jti', 'sub', 'client_id'] as const) {
    if (!isNonEmptyString(claims[name])) throw new AccessTokenError('ERR_JWT_CLAIM_INVALID', `${name} is missing`);
  }
  const aud = claims.aud;
  const audOk = isNonEmptyString(aud) || (Array.isArray(aud) && aud.length > 0 && aud.every(isNonEmptyString));
  if (!audOk) throw new AccessTokenError('ERR_JWT_CLAIM_INVALID', 'aud is missing or invalid');
  if (claims.scope !== undefined && typeof claims.scope !== 'string') {
    throw new AccessTokenError('ERR_JWT_CLAIM_INVALID', 'scope is invalid');
  }
  if (claims.rfid !== undefined && !isNonEmptyString(claims.rfid)) {
    throw new AccessTokenError('ERR_JWT_CLAIM_INVALID', 'rfid is invalid');
  }
  return claims as unknown as AccessTokenClaims;
}
