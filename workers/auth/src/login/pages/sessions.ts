import { csrfField } from './form.js';
import { html } from '../../../../../shared/html.js';
import { layout, type RenderedPage } from './layout.js';

export interface SessionRow {
  /** An opaque handle the revoke form sends: never the session id itself, which is a bearer secret. */
  handle: string;
  userAgent?: string;
  /** Seconds. */
  createdAt: number;
  lastSeenAt: number;
  current: boolean;
}

export interface SessionsPageInput {
  nonce: string;
  csrfToken: string;
  /** Where revoke forms post. */
  action: string;
  userEmail: string;
  sessions: readonly SessionRow[];
  notice?: string;
  lang?: string;
}

function when(seconds: number): string {
  return `${new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function sessionsPage(p: SessionsPageInput): RenderedPage {
  const rows = p.sessions.map((s) => {
    const device = s.userAgent || 'Unknown browser';
    return html`<li>
<strong>${device}</strong>${s.current ? html` <span>(this browser)</span>` : ''}<br>
Signed in ${when(s.createdAt)}; last active ${when(s.lastSeenAt)}
<form method="post" action="${p.action}">
${csrfField(p.csrfToken)}
<input type="hidden" name="session" value="${s.handle}">
<button type="submit" class="secondary">Sign out<span class="visually-hidden"> ${device}, signed in ${when(s.createdAt)}</span></button>
</form>
</li>`;
  });
  const body = html`<h1>Your sessions</h1>
<p>Signed in as <strong>${p.userEmail}</strong>. These browsers are signed in to your account; sign out any you do not recognise.</p>
${p.notice ? html`<p role="status">${p.notice}</p>` : ''}
${p.sessions.length > 0 ? html`<ul class="sessions">${rows}</ul>` : html`<p>No active sessions.</p>`}`;
  return layout({ title: 'Your sessions', body, nonce: p.nonce, lang: p.lang });
}
