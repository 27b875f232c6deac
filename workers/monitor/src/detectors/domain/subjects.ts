/** How detectors name the subjects they count per: accounts, addresses, networks. */
import { detailString, type MonitorEvent } from '../../events/domain/decode.js';
import { networkOf } from '../../events/domain/ip-address.js';

export interface Subject {
  /** Key inside the detector's state. */
  key: string;
  /** What a finding names. */
  subject: Record<string, string>;
}

/**
 * The account a sign-in event is about: `user_id`, or for a name that matches no account, the emitter's
 * `details.username_hash` (an unknown name is attacked just the same).
 */
export function accountOf(event: MonitorEvent): Subject | undefined {
  if (event.userId) return { key: `u:${event.userId}`, subject: { user_id: event.userId } };
  const hash = detailString(event, 'username_hash', 128);
  return hash ? { key: `h:${hash}`, subject: { username_hash: hash } } : undefined;
}

export interface NetworkPrefixes {
  ipv4Prefix: number;
  ipv6Prefix: number;
}

export function networkSubject(ip: string, p: NetworkPrefixes): Subject | undefined {
  const network = networkOf(ip, { v4: p.ipv4Prefix, v6: p.ipv6Prefix });
  return network ? { key: network, subject: { network } } : undefined;
}

export const SIGN_IN_FAILURES: ReadonlySet<string> = new Set(['user.login_failed', 'user.login_throttled']);
