/**
 * Renders Redis replies as Upstash REST JSON.
 *
 * The JSON text is produced directly rather than through JSON.stringify of a converted tree, for two reasons:
 * integers arrive as decimal text (redis-upstream.ts) and are written with all their digits, also beyond 2^53, and
 * with `Upstash-Encoding: base64` every string (bulk or simple, at any depth) must be encoded from its exact bytes,
 * which the Buffer values preserve.
 */
import { isErrorReply, type RedisReply } from './redis-upstream.js';

const INTEGER = /^-?[0-9]+$/;

export function renderValue(value: RedisReply | number, base64: boolean): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'string') return INTEGER.test(value) ? value : JSON.stringify(value);
  if (Buffer.isBuffer(value)) return JSON.stringify(base64 ? value.toString('base64') : value.toString('utf8'));
  // An error nested inside an array (a Lua script can return one) is part of the result, so it is encoded like
  // any other string there; only top-level errors go to the "error" field.
  if (isErrorReply(value)) return renderValue(Buffer.from(value.message, 'utf8'), base64);
  let out = '[';
  for (let i = 0; i < value.length; i++) {
    if (i > 0) out += ',';
    out += renderValue(value[i] as RedisReply, base64);
  }
  return `${out}]`;
}

/** `{"result":...}` or, for an error reply, `{"error":"..."}` (errors are never encoded). */
export function renderEntry(value: RedisReply, base64: boolean): string {
  if (isErrorReply(value)) return errorJson(value.message);
  return `{"result":${renderValue(value, base64)}}`;
}

export function errorJson(message: string): string {
  return JSON.stringify({ error: message });
}
