/**
 * Reading authorization-endpoint parameters (query string or form body) before any decision is made.
 *
 * RFC 6749 §3.1: a parameter sent more than once makes the request invalid, and a parameter sent without a
 * value is treated as omitted. Counts and lengths are bounded so a hostile request costs little.
 */

export const MAX_PARAMETERS = 64;
/** Per-parameter length limits; anything not listed is bounded by DEFAULT_MAX_LENGTH. */
export const MAX_LENGTHS: Readonly<Record<string, number>> = {
  client_id: 256,
  redirect_uri: 2000,
  state: 2048,
  nonce: 512,
  scope: 2048,
  login_hint: 256,
  id_token_hint: 8192,
  ui_locales: 256,
  acr_values: 512,
  request: 16384,
  request_uri: 2048,
  claims: 4096,
};
export const DEFAULT_MAX_LENGTH = 2048;

export interface AuthorizationParameters {
  /** The value of each parameter sent exactly once with a non-empty value. */
  values: ReadonlyMap<string, string>;
  /** Names sent more than once (with non-empty values). */
  repeated: ReadonlySet<string>;
  /** Names whose value is longer than allowed. */
  oversized: ReadonlySet<string>;
  /** More parameters than MAX_PARAMETERS: nothing else can be trusted. */
  tooMany: boolean;
}

export function readAuthorizationParameters(entries: Iterable<readonly [string, string]>): AuthorizationParameters {
  const values = new Map<string, string>();
  const repeated = new Set<string>();
  const oversized = new Set<string>();
  let count = 0;
  for (const [name, value] of entries) {
    if (++count > MAX_PARAMETERS) return { values: new Map(), repeated, oversized, tooMany: true };
    if (value === '') continue;
    if (values.has(name) || repeated.has(name)) {
      repeated.add(name);
      values.delete(name);
      continue;
    }
    if (value.length > (MAX_LENGTHS[name] ?? DEFAULT_MAX_LENGTH)) oversized.add(name);
    else values.set(name, value);
  }
  return { values, repeated, oversized, tooMany: false };
}

/** The client_id to look up, when the request names exactly one. */
export function requestedClientId(params: AuthorizationParameters): string | undefined {
  if (params.tooMany || params.repeated.has('client_id')) return undefined;
  return params.values.get('client_id');
}

export type Prompt = 'none' | 'login' | 'consent' | 'select_account';
const PROMPTS: readonly string[] = ['none', 'login', 'consent', 'select_account'];

/** OIDC Core §3.1.2.1 `prompt`: a set of known values, with `none` alone. A string is the problem. */
export function parsePrompt(value: string | undefined): Prompt[] | string {
  if (value === undefined) return [];
  const values = [...new Set(value.split(' '))];
  if (values.some((v) => v === '')) return 'prompt values are separated by single spaces';
  const unknown = values.find((v) => !PROMPTS.includes(v));
  if (unknown !== undefined) return 'prompt contains an unsupported value';
  if (values.includes('none') && values.length > 1) return 'prompt=none cannot be combined with other values';
  return values as Prompt[];
}

export const MAX_MAX_AGE = 1_000_000_000;

/** `max_age`: a non-negative integer number of seconds, written in plain digits. A string is the problem. */
export function parseMaxAge(value: string | undefined): number | undefined | string {
  if (value === undefined) return undefined;
  if (!/^[0-9]{1,10}$/.test(value) || Number(value) > MAX_MAX_AGE) {
    return `max_age must be an integer between 0 and ${MAX_MAX_AGE}`;
  }
  return Number(value);
}

/** Space-separated tokens, each short and printable; unusable values are dropped, not errors (they are hints). */
export function parseHintList(value: string | undefined, max = 10): string[] {
  if (value === undefined) return [];
  return value
    .split(' ')
    .filter((v) => /^[\x21-\x7E]{1,64}$/.test(v))
    .slice(0, max);
}

/** error_description may only carry %x20-21 / %x23-5B / %x5D-7E (RFC 6749 §4.1.2.1). */
export function safeDescription(text: string): string {
  return text.replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, '?').slice(0, 300);
}
