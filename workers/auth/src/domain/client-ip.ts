/**
 * Which IP address a request comes from, for rate limits and security events.
 *
 * - `CF-Connecting-IP` first: on Cloudflare the edge sets it and a client cannot forge it.
 * - Otherwise, only when the deployment says so (`TRUST_PROXY_HEADERS=true`, self-hosted behind a known ingress),
 *   the first `X-Forwarded-For` entry. The ingress must overwrite that header (and strip any `CF-Connecting-IP`
 *   sent by clients), not append to it: the leftmost entry is whatever the previous hop claimed.
 * - Otherwise `"unknown"`: all such callers then share one rate-limit bucket, which fails safe (stricter).
 *
 * A value that is not an IP literal is ignored, so a forged header cannot create arbitrary rate-limit keys.
 */

export const UNKNOWN_IP = 'unknown';

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6_CHARS = /^[0-9a-fA-F:.]{2,45}$/;

/** Returns the address in canonical-enough form (lowercase IPv6, brackets and zone dropped), or undefined. */
export function normalizeIp(raw: string | null | undefined): string | undefined {
  if (!raw) return undefined;
  let value = raw.trim();
  if (value.startsWith('[') && value.endsWith(']')) value = value.slice(1, -1);
  const zone = value.indexOf('%');
  if (zone !== -1) value = value.slice(0, zone);
  if (IPV4.test(value)) return value;
  if (value.includes(':') && IPV6_CHARS.test(value) && (value.match(/::/g) ?? []).length <= 1) {
    return value.toLowerCase();
  }
  return undefined;
}

export function clientIp(req: { headers: Headers }, trustProxy: boolean): string {
  const cf = normalizeIp(req.headers.get('cf-connecting-ip'));
  if (cf) return cf;
  if (trustProxy) {
    const first = req.headers.get('x-forwarded-for')?.split(',')[0];
    const forwarded = normalizeIp(first);
    if (forwarded) return forwarded;
  }
  return UNKNOWN_IP;
}
