/**
 * The dashboard's layout: server-rendered HTML, no script at all. Every response carries a strict CSP with a fresh
 * nonce for the one stylesheet (`default-src 'none'; style-src 'nonce-…'; form-action 'self'; frame-ancestors
 * 'none'; base-uri 'none'`), `no-store`, and no referrer. Accessibility: `lang`, a skip link, one h1 per page,
 * labelled fields, tables with captions and header cells, a visible focus ring, contrast above 4.5:1.
 */
import { randomToken } from '../../../../../shared/crypto.js';
import { html, SafeHtml } from '../../../../../shared/html.js';

export interface RenderedPage {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const STYLE = `
:root{color-scheme:light;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#f5f6f8}
body{margin:0}
header{background:#1f2a44;color:#fff;padding:.75rem 1.5rem;display:flex;flex-wrap:wrap;gap:1rem;align-items:center}
header a{color:#fff}
header nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:1rem;margin:0;padding:0}
header nav a[aria-current=page]{font-weight:700;text-decoration-thickness:3px}
header form{margin-left:auto}
main{max-width:72rem;margin:1.5rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:1.5rem;margin:0 0 1rem}
h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:.95rem}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{border-bottom:1px solid #d0d0d0;padding:.4rem .5rem;text-align:left;vertical-align:top}
td form{display:inline}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
label.inline{display:inline;margin:0}
input[type=text],input[type=search],select,textarea{box-sizing:border-box;width:100%;max-width:40rem;padding:.5rem;font-size:1rem;border:1px solid #6b6b6b;border-radius:4px;color:#1a1a1a;background:#fff}
textarea{font-family:ui-monospace,monospace;min-height:12rem;max-width:100%}
button{font-size:.95rem;padding:.45rem 1rem;border-radius:4px;border:1px solid #0b57d0;background:#0b57d0;color:#fff;cursor:pointer;margin:.25rem .25rem .25rem 0}
button.secondary{background:#fff;color:#0b57d0}
button.danger{background:#a50e0e;border-color:#a50e0e}
a{color:#0b57d0}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible{outline:3px solid #1a1a1a;outline-offset:2px}
header a:focus-visible,header button:focus-visible{outline-color:#fff}
.notice{border-left:4px solid #0b57d0;background:#e8f0fe;padding:.75rem 1rem;margin:0 0 1rem}
.problem{border-left:4px solid #b3261e;background:#fdecea;padding:.75rem 1rem;margin:0 0 1rem;color:#5f1410}
.secret{font-family:ui-monospace,monospace;background:#fff8e1;border:1px solid #8a6d00;padding:.5rem;word-break:break-all}
.cards{display:flex;flex-wrap:wrap;gap:1rem}
.card{border:1px solid #d0d0d0;border-radius:6px;padding:1rem;min-width:12rem}
.card .figure{font-size:1.8rem;font-weight:700}
pre{background:#f5f6f8;padding:.75rem;overflow:auto}
.add{color:#0d652d}.del{color:#a50e0e}
.skip{position:absolute;left:-10000px}.skip:focus{left:1rem;top:1rem;background:#fff;color:#0b57d0;padding:.5rem}
`;

export const PAGES = [
  ['overview', 'Overview', '/dashboard'],
  ['clients', 'Clients', '/dashboard/clients'],
  ['users', 'Users', '/dashboard/users'],
  ['keys', 'Keys', '/dashboard/keys'],
  ['policies', 'Policies', '/dashboard/policies'],
  ['alerts', 'Alerts', '/dashboard/alerts'],
  ['audit', 'Audit log', '/dashboard/audit'],
] as const;

export type PageName = (typeof PAGES)[number][0];

export interface Frame {
  /** Who is signed in (shown in the header); absent on the sign-in pages. */
  operator?: { name: string; csrf: string };
  current?: PageName;
}

/** The document head: no referrer at all, and the one stylesheet under the CSP's nonce. */
function head(title: string, nonce: string): SafeHtml {
  return html`<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer">
<title>${title} · Edge Security admin</title><style nonce="${nonce}">${new SafeHtml(STYLE)}</style></head>`;
}

export function csrfField(csrf: string): SafeHtml {
  return html`<input type="hidden" name="csrf_token" value="${csrf}">`;
}

export function dashboardPage(
  frame: Frame,
  opts: { title: string; body: SafeHtml; status?: number; notice?: string; problem?: string },
): RenderedPage {
  const nonce = randomToken(16);
  const nav = frame.operator
    ? html`<nav aria-label="Dashboard"><ul>${PAGES.map(
        ([name, label, href]) =>
          html`<li><a href="${href}"${frame.current === name ? new SafeHtml(' aria-current="page"') : ''}>${label}</a></li>`,
      )}</ul></nav>
<form method="post" action="/dashboard/logout">${csrfField(frame.operator.csrf)}<span>${frame.operator.name}</span>
<button type="submit" class="secondary">Sign out</button></form>`
    : '';
  const page = html`<!doctype html>
<html lang="en">
${head(opts.title, nonce)}
<body>
<a class="skip" href="#main">Skip to content</a>
<header><strong>Edge Security admin</strong>${nav}</header>
<main id="main">
<h1>${opts.title}</h1>
${opts.notice ? html`<p class="notice" role="status">${opts.notice}</p>` : ''}
${opts.problem ? html`<p class="problem" role="alert">${opts.problem}</p>` : ''}
${opts.body}
</main>
</body>
</html>
`;
  return {
    status: opts.status ?? 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': [
        "default-src 'none'",
        `style-src 'nonce-${nonce}'`,
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
      ].join('; '),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    },
    body: page.value,
  };
}
