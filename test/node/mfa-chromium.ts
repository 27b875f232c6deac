/**
 * Helpers of the MFA tests in headless Chromium (playwright-core): the virtual authenticator's options, the step
 * that ends at the relying party's callback, and redeeming the code it carries.
 */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { redeemCode } from './refresh-helpers.js';
import { decodeJwt } from './token-helpers.js';

export const REDIRECT = 'https://rp.example/cb';

/** A CDP virtual platform authenticator: discoverable credentials, user verification on, presence automatic. */
export const PLATFORM_AUTHENTICATOR = {
  protocol: 'ctap2',
  transport: 'internal',
  hasResidentKey: true,
  hasUserVerification: true,
  isUserVerified: true,
  automaticPresenceSimulation: true,
} as const;

/**
 * Does `act` (a click that ends in the redirect to the relying party) and answers the callback's URL, read from the
 * request itself: whether the browser then shows the routed page or an error does not matter.
 */
export async function reachClient(page: Page, origin: string, act: () => Promise<unknown>): Promise<URL> {
  const request = page.waitForRequest((r) => r.url().startsWith(REDIRECT));
  await act();
  const url = new URL((await request).url());
  // Let that navigation finish: the routed page, or an error page when the route is not consulted for a redirect.
  // Waiting for either one loaded (not merely for leaving `origin`) keeps a late error page from interrupting the
  // caller's next navigation.
  await page
    .waitForURL((u) => !u.href.startsWith(origin) && (u.href.startsWith(REDIRECT) || u.protocol === 'chrome-error:'), {
      waitUntil: 'load',
      timeout: 10_000,
    })
    .catch(() => {});
  return url;
}

/** Redeems an authorization code of `client` (client_secret_basic, PKCE); answers the ID token's claims. */
export async function idTokenClaims(
  origin: string,
  client: { client_id: string; client_secret: string },
  code: string,
  verifier: string,
) {
  const res = await redeemCode(origin, { ...client, redirect_uri: REDIRECT }, { code, verifier });
  expect(res.status).toBe(200);
  return decodeJwt(res.body.id_token as string).claims;
}
