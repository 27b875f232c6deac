/**
 * TOTP (RFC 6238) over HOTP (RFC 4226): HMAC-SHA-1, 30-second steps, 6 digits, the parameters every authenticator
 * app supports. Verification accepts the current step and one on either side (clock drift, a code typed as it
 * rolled over) and answers the step that matched, so the caller can refuse a step already used (the replay guard,
 * mfa-state.ts). Codes are compared in constant time; every candidate step is computed whatever matches.
 */
import { timingSafeEqualBytes } from '../../../../../shared/crypto.js';

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps accepted on either side of the current one. */
export const TOTP_WINDOW = 1;
/** RFC 4226 §4 recommends 160 bits for HMAC-SHA-1. */
export const TOTP_SECRET_BYTES = 20;

const encoder = new TextEncoder();
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding (what otpauth:// URIs and authenticator apps use). */
export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** Decodes base32 (case-insensitive, spaces and padding ignored); undefined when it is not base32. */
export function base32Decode(text: string): Uint8Array | undefined {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const index = BASE32.indexOf(ch);
    if (index < 0) return undefined;
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return new Uint8Array(out);
}

export function newTotpSecret(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(TOTP_SECRET_BYTES));
}

export type HotpHash = 'SHA-1' | 'SHA-256' | 'SHA-512';

/** HOTP(K, C) (RFC 4226 §5.3): dynamic truncation of HMAC(K, C), `digits` decimal digits. */
export async function hotp(secret: Uint8Array, counter: number, digits = TOTP_DIGITS, hash: HotpHash = 'SHA-1') {
  const key = await crypto.subtle.importKey('raw', secret as BufferSource, { name: 'HMAC', hash }, false, ['sign']);
  const message = new Uint8Array(8);
  const view = new DataView(message.buffer);
  view.setUint32(0, Math.floor(counter / 2 ** 32));
  view.setUint32(4, counter >>> 0);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, message));
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** The time step T = floor(unix seconds / period) (RFC 6238 §4.2, T0 = 0). */
export function totpStep(nowSeconds: number, period = TOTP_PERIOD_SECONDS): number {
  return Math.floor(nowSeconds / period);
}

/** What a user typed, as a code: digits only (spaces allowed between groups); undefined otherwise. */
export function parseTotpCode(typed: string): string | undefined {
  const code = typed.replace(/\s/g, '');
  return code.length === TOTP_DIGITS && /^[0-9]+$/.test(code) ? code : undefined;
}

/**
 * The step whose code `code` is, among the current step ± TOTP_WINDOW; undefined when none. All candidates are
 * computed and compared, so the time taken says nothing about which (if any) matched.
 */
export async function matchTotp(secret: Uint8Array, code: string, nowSeconds: number): Promise<number | undefined> {
  const current = totpStep(nowSeconds);
  const presented = encoder.encode(code.padEnd(TOTP_DIGITS, ' ').slice(0, TOTP_DIGITS));
  let matched: number | undefined;
  for (let step = current - TOTP_WINDOW; step <= current + TOTP_WINDOW; step++) {
    const expected = encoder.encode(await hotp(secret, step));
    if (timingSafeEqualBytes(expected, presented) && matched === undefined) matched = step;
  }
  return matched;
}

/** The otpauth:// URI authenticator apps scan (Key Uri Format): issuer and account label, base32 secret. */
export function otpauthUri(input: { issuer: string; account: string; secret: Uint8Array }): string {
  const label = `${encodeURIComponent(input.issuer)}:${encodeURIComponent(input.account)}`;
  // Percent-encoding, not URLSearchParams: its `+` for a space is read literally by authenticator apps.
  const params = Object.entries({
    secret: base32Encode(input.secret),
    issuer: input.issuer,
    algorithm: 'SHA1',
    digits: String(TOTP_DIGITS),
    period: String(TOTP_PERIOD_SECONDS),
  })
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');
  return `otpauth://totp/${label}?${params}`;
}
