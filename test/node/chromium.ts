/**
 * The browser of the browser tests: Debian's `chromium` driven by playwright-core (nothing here can download a
 * browser). CHROMIUM_PATH names another binary.
 */
import { type Browser, chromium } from 'playwright-core';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', chromiumSandbox: false });
}
