/**
 * The hosted sign-in pages in a real browser (Debian chromium via playwright-core): each page is served with its
 * own headers (CSP included) from an intercepted origin, then checked for accessibility (axe-core), for payloads
 * that run script, for anything the CSP had to block, for keyboard use, and for working without JavaScript.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SafeHtml } from '../../shared/html.js';
import { layout, type RenderedPage } from '../../workers/auth/src/login/pages/layout.js';
import { signInPage } from '../../workers/auth/src/login/pages/sign-in.js';
import { hostilePages, NONCE, XSS } from '../../workers/auth/test/login/pages-fixtures.js';

const ORIGIN = 'https://auth.example.test';
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  for (const { context } of contexts.values()) await context.close();
  await browser?.close();
});

interface Loaded {
  page: Page;
  posts: { url: string; body: URLSearchParams }[];
}

const contexts = new Map<
  boolean,
  { context: BrowserContext; page: Page; serve: { current?: RenderedPage }; posts: Loaded['posts'] }
>();

/**
 * Opens `rendered` at ORIGIN/page with its headers; records form posts anywhere instead of sending them. One
 * browser context per JavaScript setting is reused (a context per page costs seconds on a busy machine).
 */
async function open(rendered: RenderedPage, opts: { javaScript?: boolean } = {}): Promise<Loaded> {
  const js = opts.javaScript ?? true;
  let entry = contexts.get(js);
  if (!entry) {
    const context = await browser.newContext({ javaScriptEnabled: js });
    const serve: { current?: RenderedPage } = {};
    const posts: Loaded['posts'] = [];
    await context.route('**/*', async (route) => {
      const req = route.request();
      if (req.method() === 'GET' && req.url().startsWith(`${ORIGIN}/page`) && serve.current) {
        const r = serve.current;
        return route.fulfill({ status: r.status, headers: r.headers, body: r.body });
      }
      if (req.method() === 'POST') {
        posts.push({ url: req.url(), body: new URLSearchParams(req.postData() ?? '') });
        return route.fulfill({ status: 200, contentType: 'text/plain', body: 'posted' });
      }
      return route.abort();
    });
    const page = await context.newPage();
    // Init scripts run whatever the page's CSP says: they record what the policy blocked.
    await page.addInitScript(() => {
      const w = window as unknown as { __violations: string[] };
      w.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        w.__violations.push(`${e.violatedDirective} ${e.blockedURI}`),
      );
    });
    entry = { context, page, serve, posts };
    contexts.set(js, entry);
  }
  entry.serve.current = rendered;
  entry.posts.length = 0;
  await entry.page.goto(`${ORIGIN}/page?${Math.random()}`);
  return { page: entry.page, posts: entry.posts };
}

async function state(page: Page): Promise<{ xss: unknown; violations: string[] }> {
  return page.evaluate(() => {
    const w = window as unknown as { __xss?: unknown; __violations: string[] };
    return { xss: w.__xss, violations: w.__violations };
  });
}

describe('hosted pages in a browser', { timeout: 120_000 }, () => {
  it('have no accessibility violations (axe-core, WCAG 2.1 AA), errors shown', async () => {
    for (const [name, rendered] of Object.entries(hostilePages('Something is wrong with this value.'))) {
      if (name === 'formPost') continue; // it leaves the page at once
      const { page } = await open(rendered);
      const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
      expect(result.passes.length, name).toBeGreaterThan(5);
      expect(
        result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
        name,
      ).toEqual([]);
      // The nonce'd style applied and nothing else needed the CSP to step in.
      expect((await state(page)).violations, name).toEqual([]);
    }
  });

  it('run no injected script, whatever the payload', async () => {
    for (const x of XSS) {
      for (const [name, rendered] of Object.entries(hostilePages(x))) {
        if (name === 'formPost') continue;
        const { page } = await open(rendered);
        const s = await state(page);
        expect(s.xss, `${name}: ${x}`).toBeUndefined();
        expect(s.violations, `${name}: ${x}`).toEqual([]);
      }
    }
  });

  it('would block markup that escaped the escaping (the CSP, and this test’s detection of it)', async () => {
    // A control: unescaped script and an inline handler on purpose, inside the real layout.
    const leaked = layout({
      title: 'control',
      nonce: NONCE,
      body: new SafeHtml('<h1>x</h1><script>window.__xss=1</script><img src="x" onerror="window.__xss=2">'),
    });
    const { page } = await open(leaked);
    const s = await state(page);
    expect(s.xss).toBeUndefined();
    expect(s.violations.join('\n')).toMatch(/script-src/);
  });

  it('sign in without JavaScript: the form posts Email, Password and the CSRF token', async () => {
    const rendered = signInPage({ nonce: NONCE, csrfToken: 'csrf-123', action: '/login' });
    const { page, posts } = await open(rendered, { javaScript: false });
    await page.getByLabel('Email').fill('jane@example.com');
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${ORIGIN}/login`);
    expect(posts).toHaveLength(1);
    expect(posts[0]!.url).toBe(`${ORIGIN}/login`);
    expect(Object.fromEntries(posts[0]!.body)).toEqual({
      csrf_token: 'csrf-123',
      email: 'jane@example.com',
      password: 'correct horse battery staple',
    });
  });

  it('can be used with the keyboard alone, with a visible focus ring', async () => {
    const rendered = signInPage({ nonce: NONCE, csrfToken: 't', action: '/login', signUpHref: '/signup' });
    const { page, posts } = await open(rendered);
    // autofocus: the browser applies it after load, so wait for it rather than sample once.
    await page.waitForFunction(() => document.activeElement?.id === 'email', undefined, { timeout: 10_000 });
    await page.keyboard.type('jane@example.com');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('password');
    await page.keyboard.type('correct horse battery staple');
    await page.keyboard.press('Tab');
    const ring = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      const style = getComputedStyle(el);
      return { tag: el.tagName, outline: style.outlineStyle, width: style.outlineWidth };
    });
    expect(ring).toEqual({ tag: 'BUTTON', outline: 'solid', width: '3px' });
    await page.keyboard.press('Enter');
    await page.waitForURL(`${ORIGIN}/login`);
    expect(posts[0]!.body.get('email')).toBe('jane@example.com');
  });

  it('form_post delivers the response to the client, allowed by form-action, and escapes values', async () => {
    for (const x of ['plain', XSS.join(' ')]) {
      const rendered = hostilePages(x).formPost!;
      const { page, posts } = await open(rendered);
      await page.waitForURL('https://rp.example.com/cb');
      expect(posts).toHaveLength(1);
      expect(posts[0]!.url).toBe('https://rp.example.com/cb');
      expect(Object.fromEntries(posts[0]!.body)).toEqual({ code: x, state: x, iss: 'https://auth.example.com' });
    }
  });

  it('form_post works without JavaScript through its button', async () => {
    const rendered = hostilePages('v').formPost!;
    const { page, posts } = await open(rendered, { javaScript: false });
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL('https://rp.example.com/cb');
    expect(posts[0]!.body.get('code')).toBe('v');
  });
});
