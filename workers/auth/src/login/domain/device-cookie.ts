/**
 * Device cookies (OWASP "Slow Down Online Guessing Attacks with Device Cookies"): after a successful sign-in
 * the browser gets a cookie naming the account, so its later attempts are counted against its own budget
 * instead of the account's. A stranger hammering the account then exhausts the budget of untrusted clients, not
 * the real user's: the account cannot be locked against its owner's browser.
 *
 * Value: `v1.<random device id>.<HMAC(device id, account)>`. The tag binds the cookie to one account (a cookie
 * earned on the attacker's own account is worthless against another), and cannot be forged without the key.
 */
import { randomToken } from '../../../../../shared/crypto.js';
import { hmacTag, verifyHmacTag } from './hmac.js';

const PURPOSE = 'device-v1';
const VALUE = /^v1\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/** A new device cookie value for a browser that just signed in to `accountKey` (the email's uniqueness key). */
export async function issueDeviceCookie(key: CryptoKey, accountKey: string): Promise<string> {
  const deviceId = randomToken(16);
  return `v1.${deviceId}.${await hmacTag(key, PURPOSE, [deviceId, accountKey])}`;
}

/** The device id when `value` is a genuine device cookie for `accountKey`, else undefined. */
export async function readDeviceCookie(
  key: CryptoKey,
  accountKey: string,
  value: string | undefined,
): Promise<string | undefined> {
  const m = value === undefined ? null : VALUE.exec(value);
  if (!m) return undefined;
  return (await verifyHmacTag(key, PURPOSE, [m[1]!, accountKey], m[2])) ? m[1] : undefined;
}
