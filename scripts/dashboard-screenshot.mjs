#!/usr/bin/env node
// The README's dashboard screenshots, taken under a running `npm start`: headless Chromium (Debian's
// /usr/bin/chromium, or CHROMIUM_PATH) signs in as the local operator `npm start` seeded (its password from
// .data/local-secrets.json, as the banner prints it) through the platform's hosted login, with the second factor the
// dashboard's sign-in needs, and captures pages into docs/images/. On the first run the operator has no factor yet:
// the script enrols an authenticator app (TOTP, codes from otpauth) where the dashboard's refusal page says, and keeps
// its secret in .data/local-secrets.json (LOCAL_OPERATOR_TOTP_SECRET) for the next runs.
// Usage: `npm start` in one shell, then `node scripts/dashboard-screenshot.mjs`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { LOCAL_OPERATOR_EMAIL } from './lib/local-dashboard.mjs';
import { saveLocalSecrets } from './lib/platform.mjs';
import { authenticatorFor, enrolTotpInBrowser } from './lib/totp-browser.mjs';
import { ROOT } from './lib/workers.mjs';

const admin = process.env.ADMIN_URL ?? 'http://127.0.0.1:8082';
const secrets = JSON.parse(readFileSync(join(ROOT, '.data', 'local-secrets.json'), 'utf8'));
if (!secrets.LOCAL_OPERATOR_PASSWORD) throw new Error('no local operator password: has `npm start` run here?');
const out = (name) => join(ROOT, 'docs', 'images', `${name}.png`);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  chromiumSandbox: false,
});
try {
  const page = await (await browser.newContext({ viewport: { width: 1200, height: 800 } })).newPage();
  await page.goto(`${admin}/dashboard`);
  await page.getByRole('link', { name: 'Sign in with Edge Security' }).click();
  await page.getByLabel('Email').fill(LOCAL_OPERATOR_EMAIL);
  await page.getByLabel('Password').fill(secrets.LOCAL_OPERATOR_PASSWORD);
  await page.getByRole('button', { name: /sign in/i }).click();
  await page.waitForURL((u) => u.pathname === '/login/mfa' || u.pathname === '/dashboard/callback');
  let totp;
  if (new URL(page.url()).pathname === '/dashboard/callback') {
    // "Second factor needed": enrol one where it links (signed in there by this sign-in), keep its secret, then sign
    // in again: straight to the code.
    await page.getByRole('link', { name: /\/account\/security$/ }).click();
    const enrolled = await enrolTotpInBrowser(page);
    saveLocalSecrets({ LOCAL_OPERATOR_TOTP_SECRET: enrolled.secret });
    totp = enrolled.totp;
    await page.goto(`${admin}/dashboard/login`);
    await page.waitForURL((u) => u.pathname === '/login/mfa');
  } else if (secrets.LOCAL_OPERATOR_TOTP_SECRET) {
    totp = authenticatorFor(secrets.LOCAL_OPERATOR_TOTP_SECRET);
  } else {
    throw new Error(
      `${LOCAL_OPERATOR_EMAIL} has a second factor this script did not enrol: remove it ` +
        '(`esp users remove-mfa <user id> all`) and run the script again',
    );
  }
  await page.fill('#code', totp.generate());
  await page.click('button:has-text("Verify")');
  await page.waitForURL(`${admin}/dashboard`);
  await page.screenshot({ path: out('dashboard-overview'), fullPage: true });
  await page.goto(`${admin}/dashboard/users?search=${encodeURIComponent(LOCAL_OPERATOR_EMAIL)}`);
  await page.getByRole('link', { name: LOCAL_OPERATOR_EMAIL }).click();
  await page.waitForURL(/\/dashboard\/users\/[0-9a-f-]{36}$/);
  await page.screenshot({ path: out('dashboard-operator'), fullPage: true });
  console.log(`wrote ${out('dashboard-overview')} and ${out('dashboard-operator')}`);
} finally {
  await browser.close();
}
