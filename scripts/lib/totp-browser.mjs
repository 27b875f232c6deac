// An authenticator app (TOTP, codes from otpauth) set up in a real browser (playwright-core) on the auth Worker's
// "your security" page, the way an operator does it: scripts/dashboard-screenshot.mjs and the dashboard's browser test.
import * as OTPAuth from 'otpauth';

/** The authenticator for a base32 secret. */
export function authenticatorFor(secret) {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) });
}

/**
 * On "your security" (open, signed in): sets up an authenticator app from the secret as the page shows it, confirmed
 * with the previous time step's code (accepted, ±1) so that a sign-in right after can use the current one (each
 * step is used once). Answers the authenticator and its secret; the page then shows the backup codes.
 */
export async function enrolTotpInBrowser(page) {
  await Promise.all([page.waitForURL(/\/account\/security\/totp$/), page.click('text=Set up an authenticator app')]);
  const secret = (await page.textContent('#totp-secret')).replace(/\s+/g, '');
  const totp = authenticatorFor(secret);
  await page.fill('#code', totp.generate({ timestamp: Date.now() - 30_000 }));
  await Promise.all([page.waitForURL(/\/account\/security\/totp\/confirm$/), page.click('text=Verify and turn on')]);
  return { totp, secret };
}
