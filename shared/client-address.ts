/**
 * Which IP address a request comes from: the one rule every Worker applies, for rate limits and for every
 * security event.
 *
 * - On Cloudflare's edge (`request.cf.colo` is set), `CF-Connecting-IP`: the edge sets it and a client cannot
 *   forge it there. Anywhere else any caller can send that header, so it is never read off the edge: otherwise
 *   one client could rotate it to get a fresh bucket per request.
 * - Self-hosted behind a known ingress (`TRUST_PROXY_HEADERS=true`), the rightmost `X-Forwarded-For` entry: the one
 *   our own ingress wrote or appended. Entries to its left are whatever the caller claimed.
 * - Otherwise the peer address workerd reports in `request.cf.clientIp` ("ip:port").
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

/** "ip:port", "[v6]:port" or a bare address → the address. */
function stripPort(peer: string): string {
  if (peer.startsWith('[')) return peer.slice(1, peer.indexOf(']'));
  const colon = peer.indexOf(':');
  return colon !== -1 && colon === peer.lastIndexOf(':') ? peer.slice(0, colon) : peer;
}

/** The caller's address under the rules above; `trustProxy` is TRUST_PROXY_HEADERS. */
export function clientAddress(req: { headers: Headers; cf?: unknown }, trustProxy: boolean): string {
  const cf = (req.cf ?? undefined) as { colo?: unknown; clientIp?: unknown } | undefined;
  if (typeof cf?.colo === 'string') {
    const edge = normalizeIp(req.headers.get('cf-connecting-ip'));
    if (edge) return edge;
  }
  if (trustProxy) {
    const entries = req.headers.get('x-forwarded-for')?.split(',');
    const forwarded = normalizeIp(entries?.[entries.length - 1]);
    if (forwarded) return forwarded;
  }
  if (typeof cf?.clientIp === 'string') {
    const peer = normalizeIp(stripPort(cf.clientIp));
    if (peer) return peer;
  }
  return UNKNOWN_IP;
}
