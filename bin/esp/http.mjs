// The admin API client: one JSON request with the stored credential; a refusal becomes an ApiError carrying the
// RFC 9457 problem, a network failure an Unreachable.
import { ApiError, Unreachable } from './errors.mjs';
import { one } from './input.mjs';

export const enc = encodeURIComponent;

export async function api(conn, method, path, body) {
  const headers = { authorization: `Bearer ${conn.token}`, accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(`${conn.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new Unreachable(`${conn.url} is not reachable: ${err.cause?.code ?? err.message}`);
  }
  const text = await res.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { detail: text.slice(0, 500) };
  }
  if (!res.ok) throw new ApiError(res.status, parsed);
  return parsed;
}

/** `?a=b&c_d=e` from the given flags (a flag's dashes become the API's underscores), or '' when none is set. */
export function query(flags, names) {
  const q = new URLSearchParams();
  for (const name of names) {
    const v = one(flags, name);
    if (v !== undefined) q.set(name.replace(/-/g, '_'), String(v));
  }
  return q.size ? `?${q}` : '';
}
