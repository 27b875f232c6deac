/**
 * The one layout every hosted page uses, and the response headers that go with it.
 *
 * Content Security Policy, per response with a fresh nonce:
 *   default-src 'none'; style-src 'nonce-…'; form-action 'self' <client redirect origins>;
 *   frame-ancestors 'none'; base-uri 'none'
 * No script runs on these pages (the form_post page alone allows its one nonce'd script). `form-action` lists the
 * client's redirect target because browsers apply it to the redirect that follows a form submission too (sign-in
 * and consent end in a redirect to the client).
 *
 * Accessibility: `lang`, one h1 per page, labelled fields, errors tied to fields with aria-describedby and
 * aria-invalid, a visible focus ring, text and buttons at contrast ratios above 4.5:1, no JavaScript needed.
 */
import { randomToken } from '../../../../../shared/crypto.js';
import { html, SafeHtml } from '../../../../../shared/html.js';

export interface RenderedPage {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function newNonce(): string {
  return randomToken(16);
}

/** The CSP source that lets a form submission end up at `redirectUri`: its origin, or its private-use scheme. */
export function formActionSource(redirectUri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    return undefined;
  }
  if (url.protocol === 'https:' || url.protocol === 'http:') return url.origin;
  return /^[a-z][a-z0-9+.-]*:$/.test(url.protocol) ? url.protocol : undefined;
}

export interface PolicyOptions {
  nonce: string;
  formActions?: readonly string[];
  /** Allow the nonce'd script (the form_post page only). */
  script?: boolean;
}

const SOURCE = /^(?:https?:\/\/[A-Za-z0-9.\-[\]:]+|[a-z][a-z0-9+.-]*:)$/;

export function contentSecurityPolicy(opts: PolicyOptions): string {
  if (!/^[A-Za-z0-9_-]{16,}$/.test(opts.nonce)) throw new Error('invalid CSP nonce');
  const actions = ["'self'", ...(opts.formActions ?? []).filter((s) => SOURCE.test(s))];
  return [
    "default-src 'none'",
    ...(opts.script ? [`script-src 'nonce-${opts.nonce}'`] : []),
    `style-src 'nonce-${opts.nonce}'`,
    `form-action ${[...new Set(actions)].join(' ')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function pageHeaders(csp: string): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': csp,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    // Not no-referrer: under it browsers send `Origin: null` with the pages' own form posts, which the origin check
    // (login/domain/csrf.ts) then refuses. same-origin sends nothing to any other site, the client included.
    'referrer-policy': 'same-origin',
  };
}

const STYLE = `
:root{color-scheme:light;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#f5f6f8}
body{margin:0;display:flex;justify-content:center;padding:2rem 1rem}
main{background:#fff;max-width:28rem;width:100%;padding:2rem;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:1.5rem;margin:0 0 1rem}
p,li{line-height:1.5}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
input[type=email],input[type=password],input[type=text]{box-sizing:border-box;width:100%;padding:.6rem;font-size:1rem;border:1px solid #6b6b6b;border-radius:4px;color:#1a1a1a;background:#fff}
input[aria-invalid=true]{border:2px solid #b3261e}
.hint{color:#4a4a4a;font-size:.9rem;margin:.25rem 0 0}
.error{color:#b3261e;font-size:.9rem;margin:.25rem 0 0}
.alert{border-left:4px solid #b3261e;background:#fdecea;padding:.75rem 1rem;margin:0 0 1rem;color:#5f1410}
.actions{display:flex;gap:.75rem;flex-wrap:wrap;margin-top:1.5rem}
button{font-size:1rem;padding:.6rem 1.2rem;border-radius:4px;border:1px solid #0b57d0;background:#0b57d0;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#0b57d0}
a{color:#0b57d0}
a:focus-visible,button:focus-visible,input:focus-visible{outline:3px solid #1a1a1a;outline-offset:2px}
ul.sessions{list-style:none;padding:0}
ul.sessions li{border-top:1px solid #d0d0d0;padding:.75rem 0}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;

export interface LayoutOptions {
  title: string;
  body: SafeHtml;
  nonce: string;
  lang?: string;
  status?: number;
  formActions?: readonly string[];
  /** Extra elements for the head or the end of the body (the form_post script). */
  tail?: SafeHtml;
  script?: boolean;
}

/** Languages the pages are written in; anything else falls back to English. */
const LANGS = new Set(['en']);

export function layout(opts: LayoutOptions): RenderedPage {
  const lang = opts.lang !== undefined && LANGS.has(opts.lang) ? opts.lang : 'en';
  const page = html`<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${opts.title}</title>
<style nonce="${opts.nonce}">${new SafeHtml(STYLE)}</style>
</head>
<body>
<main>
${opts.body}
</main>
${opts.tail}
</body>
</html>
`;
  const csp = contentSecurityPolicy({ nonce: opts.nonce, formActions: opts.formActions, script: opts.script });
  return { status: opts.status ?? 200, headers: pageHeaders(csp), body: page.value };
}
