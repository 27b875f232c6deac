#!/usr/bin/env node
// The README's dashboard screenshots, taken under a running `npm start`: headless Chromium (Debian's
// /usr/bin/chromium, or CHROMIUM_PATH) signs in as the local operator `npm start` seeded (its password from
// .data/local-secrets.json, as the banner prints it) through the platform's hosted login, and captures pages into
// docs/images/. Usage: `npm start` in one shell, then `node scripts/dashboard-screenshot.mjs`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { LOCAL_OPERATOR_EMAIL } from './lib/local-dashboard.mjs';
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
