/**
 * Helpers of the MFA tests in headless Chromium (playwright-core): the virtual authenticator's options, the step
 * that ends at the relying party's callback, and redeeming the code it carries.
 */
import type { Frame, Page } from 'playwright-core';
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
 * request itself: whether the browser shows the routed page or an error page for it does not matter.
 */
export async function reachClient(page: Page, act: () => Promise<unknown>): Promise<URL> {
  const request = page.waitForRequest((r) => r.url().startsWith(REDIRECT));
  await act();
  const url = new URL((await request).url());
  // Let that navigation finish, so that nothing arrives late to interrupt the caller's next one. Chromium does not
  // consult the route for a redirect: it shows its error page (the name does not resolve), then reloads it on its
  // own about a second later, and that reload is routed. So wait for the routed page, then for the main frame to
  // stay put for a while.
  await page.waitForURL((u) => u.href.startsWith(REDIRECT), { waitUntil: 'load', timeout: 10_000 }).catch(() => {});
  await quiet(page, 1_500, 10_000);
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

/** Waits until the page's main frame has not navigated for `quietMs` (at most `maxMs`). */
async function quiet(page: Page, quietMs: number, maxMs: number): Promise<void> {
  const started = Date.now();
  let last = started;
  const navigated = (frame: Frame) => {
    if (frame === page.mainFrame()) last = Date.now();
  };
  page.on('framenavigated', navigated);
  try {
    while (Date.now() - last < quietMs && Date.now() - started < maxMs) await new Promise((r) => setTimeout(r, 100));
  } finally {
    page.off('framenavigated', navigated);
  }
}
