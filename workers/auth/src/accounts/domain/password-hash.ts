/**
 * End-user password hashing with scrypt (node:crypto, native in workerd under `nodejs_compat`).
 *
 * Stored form, PHC string style (the same layout passlib and others use for scrypt):
 *
 *     $scrypt$ln=14,r=8,p=1$<salt, base64 unpadded>$<derived key, base64 unpadded>
 *
 * The parameters travel with the hash, so raising them later only needs `needsRehash` at the next sign-in.
 * Parameters read back from storage are bounded before use: a corrupted or planted row must not make one
 * verification allocate more memory than the isolate has (N=2^16 with r=8 already fails in workerd).
 *
 * Passwords are NFKC-normalised before hashing (NIST SP 800-63B §5.1.1.2), so the same password typed on two
 * keyboards that produce different code point sequences still verifies.
 *
 * Unknown accounts: `verifyPassword(password, undefined)` runs the same scrypt work against a dummy hash and
 * answers false, so the response time does not tell whether an email address has an account.
 */
import { timingSafeEqual as nodeTimingSafeEqual, scrypt } from 'node:crypto';

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  ln: number;
  /** Block size. */
  r: number;
  /** Parallelism. */
  p: number;
}

/** ≈70 ms of CPU in workerd on the project's machines; 16 MiB of memory (128·N·r). */
export const CURRENT_SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({ ln: 14, r: 8, p: 1 });

export const SALT_BYTES = 16;
export const KEY_BYTES = 32;
/** Bounds on stored parameters: what one verification may cost at most. */
export const LIMITS = { minLn: 10, maxLn: 15, maxR: 16, maxP: 4, maxMemoryBytes: 32 * 1024 * 1024 } as const;
/** Longest password input hashed (UTF-16 units); longer inputs verify as false, after the same work. */
export const MAX_PASSWORD_INPUT = 1024;

export type PasswordHashErrorCode = 'ERR_PASSWORD_HASH_FORMAT' | 'ERR_PASSWORD_HASH_PARAMS';

export class PasswordHashError extends Error {
  constructor(
    readonly code: PasswordHashErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PasswordHashError';
  }
}

/** The key derivation itself, replaceable so tests can observe the work done. */
export type Kdf = (
  password: Uint8Array,
  salt: Uint8Array,
  params: ScryptParams,
  keyBytes: number,
) => Promise<Uint8Array>;

export const scryptKdf: Kdf = (password, salt, { ln, r, p }, keyBytes) =>
  new Promise((resolve, reject) => {
    const N = 2 ** ln;
    // maxmem must cover 128·N·r·p plus the small fixed overhead node adds on top.
    const maxmem = 128 * N * r * p + 1024 * 1024;
    scrypt(password, salt, keyBytes, { N, r, p, maxmem }, (err, key) => {
      if (err) reject(err);
      else resolve(new Uint8Array(key.buffer, key.byteOffset, key.byteLength));
    });
  });

export interface ParsedPasswordHash {
  params: ScryptParams;
  salt: Uint8Array;
  key: Uint8Array;
}

const B64 = /^[A-Za-z0-9+/]+$/;

function toB64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/=+$/, '');
}

function fromB64(text: string): Uint8Array {
  if (!B64.test(text)) throw new PasswordHashError('ERR_PASSWORD_HASH_FORMAT', 'not unpadded base64');
  const binary = atob(text.padEnd(Math.ceil(text.length / 4) * 4, '='));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** Throws unless the parameters are within what one verification may cost. */
export function checkScryptParams(params: ScryptParams): void {
  const { ln, r, p } = params;
  const ok =
    Number.isInteger(ln) &&
    Number.isInteger(r) &&
    Number.isInteger(p) &&
    ln >= LIMITS.minLn &&
    ln <= LIMITS.maxLn &&
    r >= 1 &&
    r <= LIMITS.maxR &&
    p >= 1 &&
    p <= LIMITS.maxP &&
    128 * 2 ** ln * r <= LIMITS.maxMemoryBytes;
  if (!ok)
    throw new PasswordHashError(
      'ERR_PASSWORD_HASH_PARAMS',
      `scrypt parameters out of bounds: ${JSON.stringify(params)}`,
    );
}

const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d)\$([A-Za-z0-9+/]{16,88})\$([A-Za-z0-9+/]{22,88})$/;

export function parsePasswordHash(stored: string): ParsedPasswordHash {
  const m = typeof stored === 'string' ? PHC.exec(stored) : null;
  if (!m) throw new PasswordHashError('ERR_PASSWORD_HASH_FORMAT', 'not a $scrypt$ PHC string');
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  checkScryptParams(params);
  const salt = fromB64(m[4]!);
  const key = fromB64(m[5]!);
  if (salt.byteLength < SALT_BYTES || key.byteLength < 16) {
    throw new PasswordHashError('ERR_PASSWORD_HASH_FORMAT', 'salt or key too short');
  }
  return { params, salt, key };
}

export function formatPasswordHash({ params, salt, key }: ParsedPasswordHash): string {
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${toB64(salt)}$${toB64(key)}`;
}

const encoder = new TextEncoder();

function passwordBytes(password: string): Uint8Array {
  return encoder.encode(password.normalize('NFKC'));
}

export interface HashOptions {
  params?: ScryptParams;
  kdf?: Kdf;
  /** Salt source, for deterministic tests only. */
  salt?: Uint8Array;
}

export async function hashPassword(password: string, opts: HashOptions = {}): Promise<string> {
  const params = opts.params ?? CURRENT_SCRYPT_PARAMS;
  checkScryptParams(params);
  if (typeof password !== 'string' || password.length > MAX_PASSWORD_INPUT) {
    throw new PasswordHashError('ERR_PASSWORD_HASH_FORMAT', 'password input too long to hash');
  }
  const salt = opts.salt ?? crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const key = await (opts.kdf ?? scryptKdf)(passwordBytes(password), salt, params, KEY_BYTES);
  return formatPasswordHash({ params, salt, key });
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  // Lengths are public (they are in the stored string); only the contents are compared in constant time.
  return a.byteLength === b.byteLength && nodeTimingSafeEqual(a, b);
}

/** A fixed salt and a key no password derives to in practice: the target for unknown accounts. */
const DUMMY_SALT = new Uint8Array(SALT_BYTES).fill(0x5a);
const DUMMY_KEY = new Uint8Array(KEY_BYTES).fill(0xa5);

export interface VerifyOptions {
  /** The parameters new hashes use: what the dummy verification costs. */
  params?: ScryptParams;
  kdf?: Kdf;
}

/**
 * True when `password` matches `stored`. With `stored` undefined (no such account) the same work is done with the
 * current parameters and the answer is false. Throws PasswordHashError for a stored value that is not a valid
 * hash: a corrupted row is a fault to surface, never a silent "wrong password".
 */
export async function verifyPassword(
  password: string,
  stored: string | undefined,
  opts: VerifyOptions = {},
): Promise<boolean> {
  const kdf = opts.kdf ?? scryptKdf;
  const target: ParsedPasswordHash =
    stored === undefined
      ? { params: opts.params ?? CURRENT_SCRYPT_PARAMS, salt: DUMMY_SALT, key: DUMMY_KEY }
      : parsePasswordHash(stored);
  const usable = typeof password === 'string' && password.length <= MAX_PASSWORD_INPUT;
  const input = usable ? passwordBytes(password) : encoder.encode('\u0000');
  const derived = await kdf(input, target.salt, target.params, target.key.byteLength);
  const match = equalBytes(derived, target.key);
  return match && usable && stored !== undefined;
}

/** True when `stored` was made with other parameters than `current` (re-hash after a successful sign-in). */
export function needsRehash(stored: string, current: ScryptParams = CURRENT_SCRYPT_PARAMS): boolean {
  const { params, key, salt } = parsePasswordHash(stored);
  return (
    params.ln !== current.ln ||
    params.r !== current.r ||
    params.p !== current.p ||
    key.byteLength !== KEY_BYTES ||
    salt.byteLength !== SALT_BYTES
  );
}
