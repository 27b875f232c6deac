/**
 * Rules for a new password (NIST SP 800-63B §5.1.1.2 / §3.1.1.2 in revision 4):
 * - length counted in Unicode code points after NFKC normalisation: at least 8, at most 256;
 * - no composition rules (no "one digit, one symbol"), every printable character and space allowed;
 * - refused when it is a commonly used password (a bundled list, compared case-insensitively, also with
 *   trailing digits and symbols removed: "Sunshine2024!" is "sunshine" with decoration);
 * - refused when it contains context words: the user's email address or its local part, the service name.
 *
 * Each refusal carries a stable code and a sentence a page can show next to the field as it is.
 */
import { COMMON_PASSWORDS } from './common-passwords.data.js';

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 256;
/** Context words shorter than this are too likely to occur by chance to refuse on. */
const MIN_CONTEXT_WORD = 4;

export type PasswordProblemCode = 'too_short' | 'too_long' | 'invalid_characters' | 'common' | 'contains_context';

export interface PasswordProblem {
  code: PasswordProblemCode;
  message: string;
}

const MESSAGES: Record<PasswordProblemCode, string> = {
  too_short: `Use at least ${MIN_PASSWORD_LENGTH} characters.`,
  too_long: `Use at most ${MAX_PASSWORD_LENGTH} characters.`,
  invalid_characters: 'Remove control characters and invalid characters from the password.',
  common: 'This password is too common and easy to guess. Choose a different one; a few unrelated words work well.',
  contains_context: 'Do not use your email address or the name of this service in your password.',
};

export interface PasswordContext {
  /** The account's email address, as entered. */
  email?: string;
  /** Other words an attacker would try first: the service's name, the product, the company. */
  words?: readonly string[];
}

let common: Set<string> | undefined;

/** True when the (NFKC, lower-cased) password is in the bundled common-password list. */
export function isCommonPassword(password: string): boolean {
  common ??= new Set(COMMON_PASSWORDS.split('\n'));
  const p = password.normalize('NFKC').toLowerCase();
  if (common.has(p)) return true;
  // Decoration at either end does not make a common password uncommon.
  const core = p.replace(/^[\p{N}\p{P}\p{S}\s]+|[\p{N}\p{P}\p{S}\s]+$/gu, '');
  return core !== p && common.has(core);
}

/**
 * Lone surrogates cannot be encoded as UTF-8 (they would become U+FFFD and collide); controls are never typed;
 * unassigned code points may normalise differently once a later Unicode version assigns them, and the password
 * would then stop verifying.
 */
const INVALID = /[\p{Cc}\p{Cs}\p{Cn}]/u;

function contextWords(ctx: PasswordContext): string[] {
  const words: string[] = [];
  const email = ctx.email?.trim().normalize('NFKC').toLowerCase();
  if (email) {
    words.push(email);
    const at = email.lastIndexOf('@');
    if (at > 0) {
      words.push(email.slice(0, at));
      // "jane.doe" also yields "jane" and "doe".
      words.push(...email.slice(0, at).split(/[^\p{L}\p{N}]+/u));
    }
  }
  for (const w of ctx.words ?? []) words.push(w.normalize('NFKC').toLowerCase());
  return [...new Set(words.filter((w) => [...w].length >= MIN_CONTEXT_WORD))];
}

/** Everything wrong with `password` as a new password; empty when it is acceptable. */
export function checkNewPassword(password: string, ctx: PasswordContext = {}): PasswordProblem[] {
  const problem = (code: PasswordProblemCode): PasswordProblem => ({ code, message: MESSAGES[code] });
  if (typeof password !== 'string') return [problem('too_short')];
  // Counting a huge input would already be work: bound the raw size first (4 UTF-16 units per code point at most).
  if (password.length > MAX_PASSWORD_LENGTH * 4) return [problem('too_long')];
  if (INVALID.test(password)) return [problem('invalid_characters')];
  const normalized = password.normalize('NFKC');
  const length = [...normalized].length;
  if (length < MIN_PASSWORD_LENGTH) return [problem('too_short')];
  if (length > MAX_PASSWORD_LENGTH) return [problem('too_long')];
  const problems: PasswordProblem[] = [];
  if (isCommonPassword(normalized)) problems.push(problem('common'));
  const lower = normalized.toLowerCase();
  if (contextWords(ctx).some((w) => lower.includes(w))) problems.push(problem('contains_context'));
  return problems;
}
