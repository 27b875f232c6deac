/**
 * Email addresses for accounts: validation and the key that makes an account unique.
 *
 * - Accepted: `local@domain` with a dot-atom local part (RFC 5322 atext, plus non-ASCII letters as RFC 6532
 *   allows), at most 64 octets, and a domain name of at least two labels (IDNs accepted, compared in their
 *   ASCII form). Quoted local parts, comments, IP-literal domains and anything with spaces or controls are
 *   refused: they are legal in theory and a source of confusion and injection in practice.
 * - The uniqueness key is the local part lower-cased (Unicode simple lower-casing, no other folding) and the
 *   domain in lower-case ASCII (IDNA). "Jane@Example.COM" and "jane@example.com" are one account.
 * - Nothing provider-specific is guessed: dots and "+tags" are kept, because for most domains they name
 *   different mailboxes, and the user sees the address as typed (trimmed, NFC).
 */

export const MAX_EMAIL_LENGTH = 254;
const MAX_LOCAL_OCTETS = 64;

export type EmailProblemCode = 'empty' | 'too_long' | 'invalid';

export interface EmailProblem {
  code: EmailProblemCode;
  message: string;
}

export interface NormalizedEmail {
  /** As the user typed it, trimmed and NFC: what pages and messages show. */
  address: string;
  /** The address with an ASCII (IDNA) domain: what mail is sent to. */
  mailbox: string;
  /** Compare and store uniqueness with this. */
  key: string;
}

export type EmailResult = { ok: true; email: NormalizedEmail } | { ok: false; problem: EmailProblem };

const fail = (code: EmailProblemCode): EmailResult => ({
  ok: false,
  problem: {
    code,
    message:
      code === 'empty'
        ? 'Enter your email address.'
        : code === 'too_long'
          ? `An email address has at most ${MAX_EMAIL_LENGTH} characters.`
          : 'Enter an email address in the form name@example.com.',
  },
});

/** RFC 5322 atext (ASCII) or any non-ASCII letter, mark or number (RFC 6532). */
const ATOM = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\p{L}\p{M}\p{N}]+$/u;
/** What may reach the URL parser as a host: letters, marks, digits, hyphens, dots. No '%': it would be decoded. */
const DOMAIN_INPUT = /^[\p{L}\p{M}\p{N}.-]+$/u;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

function asciiDomain(domain: string): string | undefined {
  if (!DOMAIN_INPUT.test(domain) || domain.startsWith('.') || domain.endsWith('.')) return undefined;
  let host: string;
  try {
    host = new URL(`https://${domain}/`).hostname;
  } catch {
    return undefined;
  }
  const labels = host.split('.');
  if (host.length > 253 || labels.length < 2 || !labels.every((l) => LABEL.test(l))) return undefined;
  // An all-numeric last label is an IPv4 address in disguise, never a top-level domain.
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return undefined;
  return host;
}

export function normalizeEmail(input: unknown): EmailResult {
  if (typeof input !== 'string') return fail('empty');
  const trimmed = input.trim();
  if (trimmed === '') return fail('empty');
  if (trimmed.length > MAX_EMAIL_LENGTH * 4) return fail('too_long');
  const address = trimmed.normalize('NFC');
  if ([...address].length > MAX_EMAIL_LENGTH) return fail('too_long');
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return fail('invalid');
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (new TextEncoder().encode(local).byteLength > MAX_LOCAL_OCTETS) return fail('invalid');
  if (!local.split('.').every((atom) => atom !== '' && ATOM.test(atom))) return fail('invalid');
  const ascii = asciiDomain(domain);
  if (ascii === undefined) return fail('invalid');
  return { ok: true, email: { address, mailbox: `${local}@${ascii}`, key: `${local.toLowerCase()}@${ascii}` } };
}
