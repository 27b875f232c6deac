/**
 * Registered webhook endpoints: URL rules and which alerts each receives.
 *
 * The URL check is the first line against server-side request forgery: an endpoint URL is an address the
 * monitor will POST to from inside the platform's network. IP literals in private, loopback, link-local,
 * shared (CGNAT), multicast and reserved ranges are refused, as are single-label and cluster-internal host
 * names (`redis`, `auth.default.svc`, `*.internal`) that resolve to in-cluster services. A public name that
 * resolves to a private address cannot be caught here (the Workers runtime resolves names itself), which is why
 * the Kubernetes egress policy for the monitor must also deny private ranges; on Cloudflare, fetch cannot reach
 * private addresses at all.
 */
import type { Severity } from '../../detectors/domain/finding.js';
import { severityRank } from '../../detectors/domain/finding.js';
import { parseIpAddress } from '../../events/domain/ip-address.js';
import type { AlertWebhookType } from './payload.js';

export class EndpointUrlError extends Error {
  readonly code = 'invalid_endpoint_url';
}

export interface WebhookEndpoint {
  id: string;
  url: string;
  /** Active secrets, current first (two during a rotation). */
  secrets: string[];
  /** Webhook types it receives; empty means all. */
  types: AlertWebhookType[];
  minSeverity: Severity;
  /** Set when delivery is switched off, by an operator or by a `410 Gone`. */
  disabled?: { at: number; reason: string };
}

function v4Blocked(b: Uint8Array): boolean {
  const [a, c] = [b[0] as number, b[1] as number];
  return (
    a === 0 || // this network
    a === 10 ||
    a === 127 ||
    (a === 100 && c >= 64 && c < 128) || // shared address space (CGNAT)
    (a === 169 && c === 254) || // link-local, cloud metadata services
    (a === 172 && c >= 16 && c < 32) ||
    (a === 192 && c === 168) ||
    (a === 192 && c === 0 && b[2] === 0) || // IETF protocol assignments
    (a === 198 && (c === 18 || c === 19)) || // benchmarking
    a >= 224 // multicast, reserved, broadcast
  );
}

function v6Blocked(b: Uint8Array): boolean {
  const first = b[0] as number;
  const allZeroTo = (n: number) => b.slice(0, n).every((x) => x === 0);
  return (
    allZeroTo(15) || // :: and ::1
    (first & 0xfe) === 0xfc || // unique local fc00::/7
    (first === 0xfe && ((b[1] as number) & 0xc0) === 0x80) || // link-local fe80::/10
    first === 0xff || // multicast
    (first === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b) || // NAT64 64:ff9b::/96 reaches IPv4
    (first === 0x20 && b[1] === 0x02) // 6to4 2002::/16 embeds an IPv4 address
  );
}

const INTERNAL_SUFFIXES = ['.localhost', '.local', '.internal', '.cluster.local', '.svc', '.home.arpa', '.lan'];

/**
 * Checks an endpoint URL; `allowHttp` is for local development only, `allowPrivate` (loopback and private
 * addresses, internal names) for local development and tests only. Returns the normalised URL.
 */
export function checkEndpointUrl(
  text: string,
  opts: { allowHttp: boolean; allowPrivate?: boolean } = { allowHttp: false },
): string {
  if (text.length > 2048) throw new EndpointUrlError('URL is longer than 2048 characters');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new EndpointUrlError('not a URL');
  }
  if (url.protocol !== 'https:' && !(opts.allowHttp && url.protocol === 'http:'))
    throw new EndpointUrlError('must be https');
  if (url.username || url.password) throw new EndpointUrlError('must not carry credentials');
  if (url.hash) throw new EndpointUrlError('must not have a fragment');
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  const literal = host.startsWith('[') ? host.slice(1, -1) : host;
  const ip = parseIpAddress(literal);
  if (opts.allowPrivate) return url.toString();
  if (ip) {
    if (ip.version === 4 ? v4Blocked(ip.bytes) : v6Blocked(ip.bytes))
      throw new EndpointUrlError('points at a private, loopback, link-local or reserved address');
  } else if (/^[0-9.]+$/.test(host) || /^0x/i.test(host)) {
    throw new EndpointUrlError('numeric host that is not a dotted IPv4 address');
  } else {
    if (!host.includes('.')) throw new EndpointUrlError('single-label host names resolve inside the cluster');
    if (host === 'localhost' || INTERNAL_SUFFIXES.some((s) => host.endsWith(s)))
      throw new EndpointUrlError('internal host name');
  }
  return url.toString();
}

/** The endpoints an alert webhook goes to: enabled, subscribed to the type, at or above their severity floor. */
export function endpointsFor(
  endpoints: readonly WebhookEndpoint[],
  type: AlertWebhookType,
  severity: Severity,
): WebhookEndpoint[] {
  return endpoints.filter(
    (e) =>
      !e.disabled &&
      (e.types.length === 0 || e.types.includes(type)) &&
      severityRank(severity) >= severityRank(e.minSeverity),
  );
}
