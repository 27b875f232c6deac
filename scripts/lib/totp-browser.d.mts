// Types for scripts/lib/totp-browser.mjs, so TypeScript tests can import it.
import type { TOTP } from 'otpauth';
import type { Page } from 'playwright-core';

export function authenticatorFor(secret: string): TOTP;
export function enrolTotpInBrowser(page: Page): Promise<{ totp: TOTP; secret: string }>;
