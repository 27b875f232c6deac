import { csrfField } from './form.js';
import { html } from '../../../../../shared/html.js';
import { layout, type RenderedPage } from './layout.js';

export interface SignOutPageInput {
  nonce: string;
  csrfToken: string;
  action: string;
  userEmail?: string;
  /** The application that asked for the sign-out, when known. */
  clientName?: string;
  /** Carried through the confirmation (already validated, see logout.ts). */
  hidden?: Readonly<Record<string, string>>;
  /** Where the browser goes after signing out (the client's post-logout redirect URI origin). */
  formActions?: readonly string[];
  lang?: string;
}

/** Asks before ending the session: a link from another site must not sign the user out by itself. */
export function signOutPage(p: SignOutPageInput): RenderedPage {
  const body = html`<h1>Sign out?</h1>
${p.clientName ? html`<p><strong>${p.clientName}</strong> asked to sign you out.</p>` : ''}
${p.userEmail ? html`<p>You are signed in as <strong>${p.userEmail}</strong>.</p>` : ''}
<form method="post" action="${p.action}">
${csrfField(p.csrfToken)}
${Object.entries(p.hidden ?? {}).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
<div class="actions">
<button type="submit" name="decision" value="sign-out">Sign out</button>
<button type="submit" name="decision" value="stay" class="secondary">Stay signed in</button>
</div>
</form>`;
  return layout({ title: 'Sign out', body, nonce: p.nonce, lang: p.lang, formActions: p.formActions });
}

export function signedOutPage(p: { nonce: string; lang?: string }): RenderedPage {
  return layout({
    title: 'Signed out',
    body: html`<h1>You are signed out</h1><p>You can close this window.</p>`,
    nonce: p.nonce,
    lang: p.lang,
  });
}
