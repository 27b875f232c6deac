/**
 * Bucket keys, such as `token:client:<client_id>` and `token:ip:<address>`; IPv6 addresses are grouped per /64,
 * the block one subscriber usually holds, so rotating through a /64 does not buy fresh buckets. Identifiers that
 * are long (a client_id is attacker-chosen before authentication) are replaced by their SHA-256 under a distinct
 * tag, so keys stay short and a hashed key can never equal a plain one.
 */
import { base64url, sha256 } from '../../crypto.js';

const MAX_PLAIN_ID = 128;

/** Expands an IPv6 literal into its 8 groups, or undefined when it is not one. A dotted IPv4 tail is accepted. */
export function ipv6Groups(ip: string): number[] | undefined {
  let text = ip.toLowerCase();
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const o = v4.slice(1).map(Number) as [number, number, number, number];
    if (o.some((n) => n > 255)) return undefined;
    text = `${text.slice(0, v4.index)}${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? (halves[0] as string).split(':') : [];
  const tail = halves.length === 2 && halves[1] ? (halves[1] as string).split(':') : [];
  if (halves.length === 1 ? head.length !== 8 : head.length + tail.length > 7) return undefined;
  const parse = (g: string) => (/^[0-9a-f]{1,4}$/.test(g) ? Number.parseInt(g, 16) : Number.NaN);
  const groups = [...head.map(parse), ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail.map(parse)];
  return groups.some(Number.isNaN) ? undefined : groups;
}

/** The part of an address a bucket is keyed by: IPv4 whole, IPv4-mapped IPv6 as IPv4, other IPv6 by /64. */
export function ipBucketId(ip: string): string {
  if (!ip.includes(':')) return ip;
  const g = ipv6Groups(ip);
  if (!g) return ip;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return `${(g[6] as number) >> 8}.${(g[6] as number) & 255}.${(g[7] as number) >> 8}.${(g[7] as number) & 255}`;
  }
  return `${g
    .slice(0, 4)
    .map((x) => x.toString(16))
    .join(':')}::/64`;
}

/**
 * Short, unambiguous identifier for a key part; long input is hashed (tag `h~`, which no plain id starts with).
 * Returns the plain id synchronously when no hashing is needed (the hot path awaits nothing then).
 */
export function keyPart(id: string): string | Promise<string> {
  if (id.length <= MAX_PLAIN_ID && !id.startsWith('h~')) return id;
  return sha256(id).then((digest) => `h~${base64url(digest)}`);
}

/** `<what>:<scope>:<id>`, e.g. `token:ip:192.0.2.1`. `id` must come from `keyPart`. */
export function bucketKey(what: string, scope: string, id: string): string {
  return `${what}:${scope}:${id}`;
}
