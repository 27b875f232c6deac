/**
 * Bounded request-body readers. The limit is enforced while streaming, not only from Content-Length,
 * because chunked uploads carry no length and a lying header must not make us buffer more than the limit.
 */
import { bodyTooLarge, malformedBody, PlatformError, unsupportedMediaType } from './errors.js';

// decode() without { stream: true } keeps no state between calls, so one decoder serves every request.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

const NOT_UTF8 = 'request body is not valid UTF-8 (a U+FFFD character must be sent escaped)';

function decodeUtf8(bytes: Uint8Array | ArrayBuffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw malformedBody(NOT_UTF8);
  }
}

/**
 * The runtime's `text()` decodes with replacement: every invalid UTF-8 sequence becomes U+FFFD. So a body whose
 * text holds U+FFFD was not valid UTF-8, or carried that character itself, which JSON (`\ufffd`) and forms
 * (`%EF%BF%BD`) can always write escaped: both are refused. Reading with `text()` rather than `arrayBuffer()` and a
 * fatal decoder saved 4 µs (token requests) to 9 µs (decisions) of CPU per request under workerd (no ArrayBuffer to
 * allocate and sweep), on endpoints whose whole budget is 150 to 250 µs.
 */
function refuseReplaced(text: string): string {
  if (text.includes('\uFFFD')) throw malformedBody(NOT_UTF8);
  return text;
}

/**
 * The body as UTF-8 text, at most `limit` bytes (413 beyond). A body that breaks off (a Content-Length longer than
 * what arrived) or whose chunked framing is invalid makes the runtime's stream fail with an error of its own; that is
 * a malformed request, so it becomes a 400 here rather than reaching the error handler as a bug (500). Every body
 * reader goes through this function.
 */
export async function readBodyText(req: Request, limit: number): Promise<string> {
  const declared = req.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) throw bodyTooLarge(limit);
  // With a declared length within the limit, HTTP framing already bounds what arrives: read it in one call (without
  // touching req.body, whose stream object is only worth making when the body has to be streamed).
  if (declared !== null && /^\d+$/.test(declared)) {
    let text: string;
    try {
      text = await req.text();
    } catch (err) {
      throw brokenFraming(err);
    }
    return refuseReplaced(text);
  }
  if (!req.body) return '';
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      let step: ReadableStreamReadResult<Uint8Array>;
      try {
        step = await reader.read();
      } catch (err) {
        throw brokenFraming(err);
      }
      if (step.done) break;
      total += step.value.byteLength;
      if (total > limit) throw bodyTooLarge(limit);
      chunks.push(step.value);
    }
  } finally {
    // Stop reading what is left (over the limit, or broken); a finished stream ignores the cancel.
    reader.cancel().catch(() => {});
  }
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return refuseReplaced(decodeUtf8(joined));
}

/** A stream failure while reading the body: our own errors pass through, the runtime's become a 400. */
function brokenFraming(err: unknown): unknown {
  if (err instanceof PlatformError) return err;
  return malformedBody('request body is incomplete or its framing is invalid');
}

function mediaType(req: Request): string {
  return (req.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

const MAX_JSON_DEPTH = 32;

function depthOf(value: unknown, depth = 0): number {
  if (depth > MAX_JSON_DEPTH) return depth;
  if (value === null || typeof value !== 'object') return depth;
  let max = depth + 1;
  for (const v of Array.isArray(value) ? value : Object.values(value)) {
    max = Math.max(max, depthOf(v, depth + 1));
    if (max > MAX_JSON_DEPTH) break;
  }
  return max;
}

/** Reads a JSON body: 415 for another media type, 413 over the limit, 400 when it does not parse. */
export async function readJsonBody(req: Request, limit: number): Promise<unknown> {
  const type = mediaType(req);
  if (type !== 'application/json' && !type.endsWith('+json')) throw unsupportedMediaType('application/json');
  const text = await readBodyText(req, limit);
  if (text.trim() === '') throw malformedBody('request body is empty');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parser's message quotes the input back; the caller needs only to know it did not parse.
    throw malformedBody('request body is not valid JSON');
  }
  if (depthOf(value) > MAX_JSON_DEPTH) throw malformedBody(`JSON nesting exceeds ${MAX_JSON_DEPTH} levels`);
  return value;
}

export class DuplicateParameterError extends Error {
  readonly code = 'ERR_DUPLICATE_PARAMETER';
  constructor(readonly parameter: string) {
    // The name is the client's; the OAuth error serialiser keeps it within RFC 6749's character set.
    super(`parameter ${parameter} is included more than once`);
  }
}

/**
 * Parses application/x-www-form-urlencoded text into a Map. RFC 6749 §3.1/§3.2 forbid repeating a parameter,
 * so a repeat throws rather than silently picking one value (except names listed in `repeatable`, e.g. RFC 8707 `resource`).
 */
export function parseForm(text: string, repeatable: ReadonlySet<string> = new Set()): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, value] of new URLSearchParams(text)) {
    const seen = out.get(name);
    if (seen) {
      if (!repeatable.has(name)) throw new DuplicateParameterError(name);
      seen.push(value);
    } else {
      out.set(name, [value]);
    }
  }
  return out;
}

/** Reads a form body: 415 for another media type, 413 over the limit, 400 on a repeated parameter. */
export async function readFormBody(
  req: Request,
  limit: number,
  repeatable?: ReadonlySet<string>,
): Promise<Map<string, string[]>> {
  if (mediaType(req) !== 'application/x-www-form-urlencoded') {
    throw unsupportedMediaType('application/x-www-form-urlencoded');
  }
  const text = await readBodyText(req, limit);
  try {
    return parseForm(text, repeatable);
  } catch (err) {
    if (err instanceof DuplicateParameterError) throw malformedBody(err.message);
    throw err;
  }
}
