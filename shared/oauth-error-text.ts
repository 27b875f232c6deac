/**
 * The text of RFC 6749 §5.2 error responses. `error` and `error_description` may only use %x20-21 / %x23-5B /
 * %x5D-7E: printable ASCII without the double quote and the backslash, so they can be copied into a
 * `WWW-Authenticate` quoted-string (RFC 6750 §3) and shown by clients without escaping.
 *
 * Descriptions are written by us but often mention client input (a scope token, a URI, a JSON parser's message),
 * so the one place that serialises OAuth errors passes every description through `toErrorDescription`: anything
 * outside the set is replaced, and the text is bounded. Handlers should still avoid quoting in the first place;
 * this is the guarantee, not the style.
 */

/** RFC 6749 §5.2 `error` / `error_description` characters. */
export const ERROR_TEXT = /^[\x20-\x21\x23-\x5B\x5D-\x7E]*$/;

/** Longest description we send; long client input echoed back helps no one and costs bytes on every error. */
export const MAX_ERROR_DESCRIPTION_LENGTH = 200;

export function isValidErrorText(text: string): boolean {
  return ERROR_TEXT.test(text);
}

/**
 * A description within RFC 6749's character set: `"` becomes `'`, `\` becomes `/`, line breaks and tabs become
 * spaces, any other character outside the set becomes `?`, and text over MAX_ERROR_DESCRIPTION_LENGTH is cut
 * (ending in `...`).
 */
export function toErrorDescription(text: string): string {
  let out = '';
  for (const ch of text) {
    if (ch === '"') out += "'";
    else if (ch === '\\') out += '/';
    else if (ch === '\n' || ch === '\r' || ch === '\t') out += ' ';
    else if (ERROR_TEXT.test(ch)) out += ch;
    else out += '?';
    if (out.length > MAX_ERROR_DESCRIPTION_LENGTH) break;
  }
  if (out.length > MAX_ERROR_DESCRIPTION_LENGTH) out = `${out.slice(0, MAX_ERROR_DESCRIPTION_LENGTH - 3)}...`;
  return out;
}

/**
 * The `access_denied` description of a sign-in that the policy allows only with a second factor, for a user who has
 * none (auth Worker, mfa/domain/step-up.ts). One text for both ends: the platform's own dashboard tells this refusal
 * from the others by it, to show the operator how to enrol a factor.
 */
export const SECOND_FACTOR_MISSING = 'a second factor is required and none is enrolled';
