/**
 * Renders Redis replies as Upstash REST JSON.
 *
 * The JSON text is produced directly rather than through JSON.stringify of a converted tree, for
 * two reasons: integers beyond 2^53 arrive as bigint and are written with all their digits, and
 * with `Upstash-Encoding: base64` every string (bulk or simple, at any depth) must be encoded
 * from its exact bytes, which the Buffer values preserve.
 */
import { RedisErrorReply, type RespValue } from './resp.js';

export function renderValue(value: RespValue, base64: boolean): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return JSON.stringify(base64 ? Buffer.from(value, 'utf8').toString('base64') : value);
  if (Buffer.isBuffer(value)) return JSON.stringify(base64 ? value.toString('base64') : value.toString('utf8'));
  // An error nested inside an array (a Lua script can return one) is part of the result, so it
  // is encoded like any other string there; only top-level errors go to the "error" field.
  if (value instanceof RedisErrorReply) return renderValue(value.message, base64);
  let out = '[';
  for (let i = 0; i < value.length; i++) {
    if (i > 0) out += ',';
    out += renderValue(value[i] as RespValue, base64);
  }
  return `${out}]`;
}

/** `{"result":...}` or, for an error reply, `{"error":"..."}` (errors are never encoded). */
export function renderEntry(value: RespValue, base64: boolean): string {
  if (value instanceof RedisErrorReply) return errorJson(value.message);
  return `{"result":${renderValue(value, base64)}}`;
}

export function errorJson(message: string): string {
  return JSON.stringify({ error: message });
}
