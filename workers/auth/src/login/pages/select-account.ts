import { csrfField } from './form.js';
import { html } from '../../../../../shared/html.js';
import { layout, type RenderedPage } from './layout.js';

export interface SelectAccountPageInput {
  nonce: string;
  csrfToken: string;
  action: string;
  userEmail: string;
  clientName?: string;
  formActions?: readonly string[];
  lang?: string;
}

/** prompt=select_account: continue with the signed-in account or sign in with another one. */
export function selectAccountPage(p: SelectAccountPageInput): RenderedPage {
  const body = html`<h1>Choose an account</h1>
${p.clientName ? html`<p>to continue to <strong>${p.clientName}</strong></p>` : ''}
<form method="post" action="${p.action}">
${csrfField(p.csrfToken)}
<div class="actions">
<button type="submit" name="account" value="current">Continue as ${p.userEmail}</button>
<button type="submit" name="account" value="other" class="secondary">Use another account</button>
</div>
</form>`;
  return layout({ title: 'Choose an account', body, nonce: p.nonce, lang: p.lang, formActions: p.formActions });
}
