import { describeScope } from '../domain/consent.js';
import { csrfField } from './form.js';
import { html } from '../../../../../shared/html.js';
import { layout, type RenderedPage } from './layout.js';

export interface AllowedApp {
  clientId: string;
  clientName: string;
  scopes: readonly string[];
  /** Seconds. */
  grantedAt: number;
}

export interface AppsPageInput {
  nonce: string;
  csrfToken: string;
  action: string;
  userEmail: string;
  apps: readonly AllowedApp[];
  lang?: string;
}

/** "Apps you allowed": the remembered consents, each revocable (the app then asks again next time). */
export function appsPage(p: AppsPageInput): RenderedPage {
  const rows = p.apps.map(
    (a) => html`<li>
<strong>${a.clientName}</strong>
<ul>${a.scopes.map((s) => html`<li>${describeScope(s)}</li>`)}</ul>
<form method="post" action="${p.action}">
${csrfField(p.csrfToken)}
<input type="hidden" name="client_id" value="${a.clientId}">
<button type="submit" class="secondary">Remove access<span class="visually-hidden"> for ${a.clientName}</span></button>
</form>
</li>`,
  );
  const body = html`<h1>Apps you allowed</h1>
<p>Signed in as <strong>${p.userEmail}</strong>. These applications may use your account as listed; remove any you no longer use.</p>
${p.apps.length > 0 ? html`<ul class="sessions">${rows}</ul>` : html`<p>You have not allowed any application.</p>`}
<p><a href="/sessions">Your sessions</a></p>`;
  return layout({ title: 'Apps you allowed', body, nonce: p.nonce, lang: p.lang });
}
