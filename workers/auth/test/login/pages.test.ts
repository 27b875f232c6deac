import { describe, expect, it } from 'vitest';
import { escapeHtml, html, safeLink } from '../../../../shared/html.js';
import { contentSecurityPolicy, formActionSource, newNonce } from '../../src/login/pages/layout.js';
import { signInPage } from '../../src/login/pages/sign-in.js';
import { hostilePages, NONCE, XSS } from './pages-fixtures.js';

interface Element {
  tag: string;
  attrs: Record<string, string>;
  text: string;
}

/** Parses a page with workerd's own HTML parser (HTMLRewriter) into its elements, with the text of a few. */
async function elements(body: string): Promise<Element[]> {
  const out: Element[] = [];
  let rewriter = new HTMLRewriter().on('*', {
    element(el) {
      out.push({ tag: el.tagName, attrs: Object.fromEntries(el.attributes), text: '' });
    },
  });
  for (const tag of ['label', 'title', 'h1', 'button']) {
    let current: Element | undefined;
    rewriter = rewriter.on(tag, {
      element() {
        current = out[out.length - 1];
      },
      text(t) {
        if (current) current.text += t.text;
      },
    });
  }
  await rewriter.transform(new Response(body)).text();
  return out;
}

describe('hosted pages', () => {
  it('escape every interpolated value: no payload becomes markup', async () => {
    for (const x of XSS) {
      for (const [name, page] of Object.entries(hostilePages(x))) {
        const els = await elements(page.body);
        const scripts = els.filter((e) => e.tag === 'script');
        // Only the form_post page has a script, and only its own nonce'd one.
        expect(scripts.length, `${name}: ${x}`).toBe(name === 'formPost' ? 1 : 0);
        for (const s of scripts) expect(s.attrs.nonce).toBe(NONCE);
        for (const e of els) {
          expect(['img', 'svg'], `${name}: ${x}`).not.toContain(e.tag);
          for (const attr of Object.keys(e.attrs))
            expect(attr.startsWith('on'), `${name} ${e.tag} ${attr}`).toBe(false);
          for (const link of [e.attrs.href, e.attrs.action]) {
            if (link !== undefined) expect(link, `${name}: ${x}`).not.toMatch(/^\s*javascript:/i);
          }
        }
        // The payload survives as text, exactly: escaped, not dropped.
        expect(page.body, `${name}: ${x}`).toContain(escapeHtml(x));
        expect(els.filter((e) => e.tag === 'title')).toHaveLength(1);
        expect(els.filter((e) => e.tag === 'main')).toHaveLength(1);
      }
    }
  });

  it('carry a strict CSP with a per-response nonce', () => {
    for (const [name, page] of Object.entries(hostilePages('x'))) {
      const csp = page.headers['content-security-policy']!;
      expect(csp, name).toContain("default-src 'none'");
      expect(csp).toContain(`style-src 'nonce-${NONCE}'`);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("base-uri 'none'");
      expect(csp).toMatch(/form-action 'self'/);
      expect(csp.includes('script-src'), name).toBe(name === 'formPost');
      expect(csp).not.toContain('unsafe-inline');
      expect(page.body).toContain(`<style nonce="${NONCE}">`);
      expect(page.headers['cache-control']).toBe('no-store');
      expect(page.headers['x-frame-options']).toBe('DENY');
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    }
    expect(hostilePages('x').consent!.headers['content-security-policy']).toContain(
      "form-action 'self' https://rp.example.com;",
    );
    expect(hostilePages('x').formPost!.headers['content-security-policy']).toContain(
      "form-action 'self' https://rp.example.com;",
    );
    expect(newNonce()).not.toBe(newNonce());
    expect(newNonce()).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('cannot be given a CSP source that injects directives', () => {
    const csp = contentSecurityPolicy({
      nonce: NONCE,
      formActions: ["https://a.example; script-src 'unsafe-inline'", '*'],
    });
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("form-action 'self';");
    expect(() => contentSecurityPolicy({ nonce: "x'; script-src *" })).toThrow();
    expect(formActionSource('https://rp.example.com:8443/cb?x=1')).toBe('https://rp.example.com:8443');
    expect(formActionSource('http://127.0.0.1:53682/cb')).toBe('http://127.0.0.1:53682');
    expect(formActionSource('com.example.app:/cb')).toBe('com.example.app:');
    expect(formActionSource('not a url')).toBeUndefined();
  });

  it('label every field, tie errors and hints to it, and post the CSRF token with every form', async () => {
    for (const [name, page] of Object.entries(hostilePages('problem'))) {
      const els = await elements(page.body);
      expect(els.find((e) => e.tag === 'html')?.attrs.lang, name).toBe('en');
      expect(
        els.filter((e) => e.tag === 'h1'),
        name,
      ).toHaveLength(1);
      const ids = new Set(els.map((e) => e.attrs.id).filter(Boolean));
      for (const input of els.filter((e) => e.tag === 'input' && e.attrs.type !== 'hidden')) {
        const label = els.find((e) => e.tag === 'label' && e.attrs.for === input.attrs.id);
        expect(label, `${name} #${input.attrs.id}`).toBeDefined();
        for (const id of (input.attrs['aria-describedby'] ?? '').split(' ').filter(Boolean)) expect(ids).toContain(id);
        if (input.attrs['aria-invalid'] === 'true')
          expect(input.attrs['aria-describedby']).toContain(`${input.attrs.id}-error`);
      }
      for (const form of els.filter((e) => e.tag === 'form')) {
        expect(form.attrs.method, name).toBe('post');
      }
      if (name !== 'formPost' && name !== 'error') {
        expect(els.filter((e) => e.tag === 'input' && e.attrs.name === 'csrf_token').length, name).toBeGreaterThan(0);
      }
    }
  });

  it('name the sign-in fields Email and Password with the right autocomplete', async () => {
    const page = signInPage({ nonce: NONCE, csrfToken: 't', action: '/login' });
    const els = await elements(page.body);
    const label = (id: string) => els.find((e) => e.tag === 'label' && e.attrs.for === id)?.text;
    expect(label('email')).toBe('Email');
    expect(label('password')).toBe('Password');
    expect(els.find((e) => e.attrs.id === 'email')?.attrs).toMatchObject({ type: 'email', autocomplete: 'username' });
    expect(els.find((e) => e.attrs.id === 'password')?.attrs).toMatchObject({
      type: 'password',
      autocomplete: 'current-password',
    });
    // A password is never echoed back into the page.
    expect(page.body).not.toMatch(/type="password"[^>]*value=/);
  });

  it('never link to a non-http URL', () => {
    expect(safeLink('javascript:alert(1)')).toBeUndefined();
    expect(safeLink('data:text/html,x')).toBeUndefined();
    expect(safeLink(' https://ok.example/')).toBe('https://ok.example/');
    expect(safeLink('https://ok.example/a"b')).toBe('https://ok.example/a%22b');
    expect(html`<a href="${'"onmouseover="x'}">`.value).toBe('<a href="&quot;onmouseover=&quot;x">');
  });
});
