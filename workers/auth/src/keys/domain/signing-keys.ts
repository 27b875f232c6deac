/**
 * Signing keys: generation, RFC 7638 thumbprints, encryption at rest, and the rotation schedule.
 *
 * Lifecycle (statuses are bookkeeping; who signs is decided by time, so every isolate agrees without
 * coordination): a key is published in the JWKS from creation. It signs from `activatesAt` until a newer key's
 * `activatesAt` passes. Scheduled maintenance then marks it retired and sets `expiresAt` = retirement +
 * the longest token lifetime + a margin for isolates that have not noticed the change yet; after that the key
 * leaves the JWKS and its row is deleted. A new key is created `publishLead` before it signs, so relying
 * parties whose JWKS cache is at most that old already hold it.
 *
 * An emergency rotation (suspected compromise) revokes every other key instead: a revoked key leaves the JWKS and
 * every verification set at once (tokens it signed stop introspecting as active), its private half is erased, and
 * its row stays for audit (it is never deleted, so its kid is never seen again as anything but revoked).
 *
 * Private keys are stored as AES-256-GCM ciphertext under the key-encryption key (KEK), with a random 96-bit IV
 * per encryption and the `kid` as additional authenticated data, so a ciphertext cannot be swapped onto
 * another key's row without detection.
 */
import { base64url, openAesGcm, sealAesGcm, sha256 } from '../../../../../shared/crypto.js';
import type { SigningAlg } from '../../tokens/domain/access-token.js';

export type KeyStatus = 'pending' | 'active' | 'retired' | 'revoked';

/** A stored key as the rotation logic sees it (times in epoch milliseconds). */
export interface KeyRecord {
  kid: string;
  alg: SigningAlg;
  status: KeyStatus;
  activatesAt: number;
  retiredAt: number | null;
  expiresAt: number | null;
}

export interface GeneratedKey {
  kid: string;
  alg: SigningAlg;
  /** The JWKS entry: public members plus kid, alg and use. */
  publicJwk: Record<string, string>;
  privateJwk: JsonWebKey;
}

export class SigningKeyError extends Error {
  constructor(
    readonly code: 'ERR_KEY_DECRYPTION_FAILED' | 'ERR_KEY_FORMAT' | 'ERR_KEK_MISMATCH',
    message: string,
  ) {
    super(message);
    this.name = 'SigningKeyError';
  }
}

const encoder = new TextEncoder();

/** RFC 7638 JWK thumbprint (SHA-256): the required members only, in lexicographic order, no whitespace. */
export interface ThumbprintInput {
  kty?: unknown;
  crv?: unknown;
  x?: unknown;
  y?: unknown;
  e?: unknown;
  n?: unknown;
  [member: string]: unknown;
}

export async function jwkThumbprint(jwk: ThumbprintInput): Promise<string> {
  let members: Record<string, unknown>;
  if (jwk.kty === 'EC') members = { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y };
  else if (jwk.kty === 'OKP') members = { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  else if (jwk.kty === 'RSA') members = { e: jwk.e, kty: jwk.kty, n: jwk.n };
  else throw new SigningKeyError('ERR_KEY_FORMAT', `unsupported kty ${String(jwk.kty)}`);
  for (const [name, value] of Object.entries(members)) {
    if (typeof value !== 'string' || value === '') throw new SigningKeyError('ERR_KEY_FORMAT', `JWK lacks ${name}`);
  }
  return base64url(await sha256(JSON.stringify(members)));
}

function generationParams(alg: SigningAlg): { name: string; namedCurve?: string } {
  return alg === 'ES256' ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'Ed25519' };
}

function importParams(alg: SigningAlg): { name: string; namedCurve?: string } {
  return alg === 'ES256' ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'Ed25519' };
}

export async function generateSigningKey(alg: SigningAlg): Promise<GeneratedKey> {
  const pair = (await crypto.subtle.generateKey(generationParams(alg), true, ['sign', 'verify'])) as CryptoKeyPair;
  const privateJwk = (await crypto.subtle.exportKey('jwk', pair.privateKey)) as JsonWebKey;
  const exported = (await crypto.subtle.exportKey('jwk', pair.publicKey)) as JsonWebKey;
  const members: Record<string, string> =
    exported.kty === 'EC'
      ? { kty: 'EC', crv: String(exported.crv), x: String(exported.x), y: String(exported.y) }
      : { kty: 'OKP', crv: String(exported.crv), x: String(exported.x) };
  const kid = await jwkThumbprint(members);
  const publicJwk = { ...members, kid, alg, use: 'sig' };
  return { kid, alg, publicJwk, privateJwk };
}

/** Imports a private JWK for signing (non-extractable: the isolate never needs the key material back). */
export function importSigningKey(privateJwk: JsonWebKey, alg: SigningAlg): Promise<CryptoKey> {
  const { key_ops: _ops, ext: _ext, ...jwk } = privateJwk;
  return crypto.subtle.importKey('jwk', jwk, importParams(alg), false, ['sign']);
}

export function importVerificationKey(
  publicJwk: { kty?: string; crv?: string; x?: string; y?: string },
  alg: SigningAlg,
): Promise<CryptoKey> {
  const { kty = '', crv, x, y } = publicJwk;
  const jwk: JsonWebKey = kty === 'EC' ? { kty, crv, x, y } : { kty, crv, x };
  return crypto.subtle.importKey('jwk', jwk, importParams(alg), false, ['verify']);
}

const kekCache = new WeakMap<Uint8Array, Promise<CryptoKey>>();

function importKek(kek: Uint8Array): Promise<CryptoKey> {
  let key = kekCache.get(kek);
  if (!key) {
    key = crypto.subtle.importKey('raw', kek as BufferSource, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
    kekCache.set(kek, key);
  }
  return key;
}

/** Encrypts a private JWK: `v1.<iv>.<ciphertext+tag>`, base64url, AAD = kid (shared/crypto.ts `sealAesGcm`). */
export async function encryptPrivateKey(privateJwk: JsonWebKey, kek: Uint8Array, kid: string): Promise<string> {
  return sealAesGcm(await importKek(kek), encoder.encode(JSON.stringify(privateJwk)), encoder.encode(kid));
}

export async function decryptPrivateKey(stored: string, kek: Uint8Array, kid: string): Promise<JsonWebKey> {
  try {
    const plaintext = await openAesGcm(await importKek(kek), stored, encoder.encode(kid));
    if (plaintext) return JSON.parse(new TextDecoder().decode(plaintext)) as JsonWebKey;
  } catch {
    throw new SigningKeyError('ERR_KEY_DECRYPTION_FAILED', `private key ${kid} does not decrypt under this KEK`);
  }
  throw new SigningKeyError('ERR_KEY_FORMAT', 'unknown private key ciphertext format');
}

// ---------------------------------------------------------------------------------------------------------------
// Rotation schedule (pure)

export interface RotationSettings {
  rotationIntervalMs: number;
  publishLeadMs: number;
  /** How long a key stays published after it stopped signing: longest token lifetime + margins. */
  retentionMs: number;
}

export interface RotationOptions {
  /** On-demand rotation: create the next key now even if the current one is not due (no-op if one is pending). */
  force?: boolean;
  /** Emergency rotation: the new key signs at once and every other key is revoked (unpublished, distrusted) now. */
  immediate?: boolean;
}

export interface RotationPlan {
  /** A key to generate, signing from `activatesAt`. */
  create: { activatesAt: number; status: 'pending' | 'active' } | null;
  update: Array<{ kid: string; status: KeyStatus; retiredAt?: number; expiresAt?: number }>;
  /** Retired keys past their expiry: unpublish and delete (the private key too). */
  delete: string[];
}

/** Pending or active: may sign now or later. */
const isLive = (k: Pick<KeyRecord, 'status'>) => k.status === 'pending' || k.status === 'active';

/**
 * A key that must sign at once (the first key, an emergency rotation, a rotation without lead) is dated this much
 * in the past, so that isolates whose clocks lag the creator's (another request that waited on the lock, another
 * machine) already treat it as active instead of finding no key. Such a plan retires every other live key in the
 * same transaction, so the earlier date never lets it lose to an older key.
 */
export const ACTIVATION_BACKDATE_MS = 60_000;

/** The key that signs at `now`: the live key with the latest `activatesAt` not after `now`. */
export function currentSigner<K extends Pick<KeyRecord, 'status' | 'activatesAt'>>(
  keys: readonly K[],
  now: number,
): K | undefined {
  let best: K | undefined;
  for (const k of keys) {
    if (!isLive(k) || k.activatesAt > now) continue;
    if (!best || k.activatesAt > best.activatesAt) best = k;
  }
  return best;
}

/** Keys that belong in the JWKS (and verify tokens) at `now`: live keys, retired keys until they expire; never revoked ones. */
export function isPublished(k: Pick<KeyRecord, 'status' | 'expiresAt'>, now: number): boolean {
  if (k.status === 'revoked') return false;
  return isLive(k) || k.expiresAt === null || k.expiresAt > now;
}

/** Decides what maintenance (or an on-demand rotation) must change. Idempotent: a second run plans nothing. */
export function planRotation(
  keys: readonly KeyRecord[],
  now: number,
  settings: RotationSettings,
  options: RotationOptions = {},
): RotationPlan {
  const live = keys.filter(isLive);
  const signer = currentSigner(live, now);
  let create: RotationPlan['create'] = null;
  if (options.immediate || !signer) {
    create = { activatesAt: now - ACTIVATION_BACKDATE_MS, status: 'active' };
  } else {
    const successor = live.some((k) => k.activatesAt > now);
    const plannedEnd = signer.activatesAt + settings.rotationIntervalMs;
    if (!successor && (options.force || now >= plannedEnd - settings.publishLeadMs)) {
      const activatesAt = options.force
        ? now + settings.publishLeadMs
        : Math.max(plannedEnd, now + settings.publishLeadMs);
      create =
        activatesAt <= now
          ? { activatesAt: now - ACTIVATION_BACKDATE_MS, status: 'active' }
          : { activatesAt, status: 'pending' };
    }
  }

  const update: RotationPlan['update'] = [];
  const deleted: string[] = [];
  const effectiveSigner = create?.status === 'active' ? undefined : signer;
  if (options.immediate) {
    // A compromise: every key but the new one is distrusted now. A pending key that never signed is dropped;
    // the others (signing, retired but still published) are revoked, kept for audit.
    for (const k of keys) {
      if (isLive(k) && k.activatesAt > now) deleted.push(k.kid);
      else if (k.status !== 'revoked') {
        update.push({ kid: k.kid, status: 'revoked', retiredAt: k.retiredAt ?? now, expiresAt: now });
      }
    }
    return { create, update, delete: deleted };
  }
  for (const k of live) {
    if (k.activatesAt <= now && k !== effectiveSigner) {
      update.push({ kid: k.kid, status: 'retired', retiredAt: now, expiresAt: now + settings.retentionMs });
    } else if (k === effectiveSigner && k.status === 'pending') {
      update.push({ kid: k.kid, status: 'active' });
    }
  }
  for (const k of keys) {
    if (k.status === 'retired' && k.expiresAt !== null && k.expiresAt <= now) deleted.push(k.kid);
  }
  return { create, update, delete: deleted };
}

export function planIsEmpty(plan: RotationPlan): boolean {
  return plan.create === null && plan.update.length === 0 && plan.delete.length === 0;
}
