/**
 * IP address parsing, canonical text and network grouping. Addresses arrive as text from every Worker; the
 * monitor compares them, so each is reduced to one canonical form (IPv4 dotted quad, IPv6 RFC 5952 lowercase
 * compressed, IPv4-mapped IPv6 as IPv4) and anything else is rejected.
 */

export interface IpAddress {
  version: 4 | 6;
  /** 4 or 16 bytes, network order. */
  bytes: Uint8Array;
}

const V4_PART = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function parseV4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i] as string;
    if (!V4_PART.test(part)) return null;
    bytes[i] = Number(part);
  }
  return bytes;
}

function parseV6(text: string): Uint8Array | null {
  if (text.length > 45 || !/^[0-9a-fA-F:.]+$/.test(text)) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  const words: number[] = [];
  // An embedded IPv4 address may only be the last group of the whole address.
  const pushGroups = (list: string[], out: number[], v4AtEnd: boolean): boolean => {
    for (let i = 0; i < list.length; i++) {
      const g = list[i] as string;
      if (g.includes('.')) {
        const v4 = v4AtEnd && i === list.length - 1 ? parseV4(g) : null;
        if (!v4) return false;
        out.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false;
        out.push(Number.parseInt(g, 16));
      }
    }
    return true;
  };
  const headWords: number[] = [];
  const tailWords: number[] = [];
  const compressed = halves.length === 2;
  if (!pushGroups(head, headWords, !compressed) || !pushGroups(tail, tailWords, compressed)) return null;
  if (!compressed) {
    if (headWords.length !== 8) return null;
    words.push(...headWords);
  } else {
    const missing = 8 - headWords.length - tailWords.length;
    if (missing < 1) return null;
    words.push(...headWords, ...new Array<number>(missing).fill(0), ...tailWords);
  }
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    bytes[2 * i] = w >> 8;
    bytes[2 * i + 1] = w & 0xff;
  });
  return bytes;
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** Parses IPv4 or IPv6 text (no zone ids, no brackets, no ports); IPv4-mapped IPv6 becomes IPv4. */
export function parseIpAddress(text: string): IpAddress | null {
  if (text.length === 0 || text.length > 45) return null;
  if (!text.includes(':')) {
    const v4 = parseV4(text);
    return v4 ? { version: 4, bytes: v4 } : null;
  }
  const v6 = parseV6(text);
  if (!v6) return null;
  if (isV4Mapped(v6)) return { version: 4, bytes: v6.slice(12) };
  return { version: 6, bytes: v6 };
}

/** RFC 5952 text: lowercase, leading zeros dropped, the longest run (>= 2) of zero groups compressed. */
export function formatIpAddress(ip: IpAddress): string {
  if (ip.version === 4) return Array.from(ip.bytes).join('.');
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((ip.bytes[i] as number) << 8) | (ip.bytes[i + 1] as number));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** The canonical text of an address, or null when it is not one. */
export function canonicalIp(text: string): string | null {
  const ip = parseIpAddress(text);
  return ip ? formatIpAddress(ip) : null;
}

/**
 * The network an address belongs to, as CIDR text: /24 for IPv4 and /64 for IPv6 by default. A /64 is what one
 * IPv6 subscriber or host usually gets; a /24 is the smallest block commonly routed and rented as a unit.
 */
export function networkOf(text: string, prefixes: { v4: number; v6: number } = { v4: 24, v6: 64 }): string | null {
  const ip = parseIpAddress(text);
  if (!ip) return null;
  const prefix = ip.version === 4 ? prefixes.v4 : prefixes.v6;
  const bytes = ip.bytes.slice();
  for (let bit = prefix; bit < bytes.length * 8; bit++) {
    const i = bit >> 3;
    bytes[i] = (bytes[i] as number) & ~(0x80 >> (bit & 7));
  }
  return `${formatIpAddress({ version: ip.version, bytes })}/${prefix}`;
}
