import { html, type SafeHtml } from '../../../../../shared/html.js';
import { csrfField, field } from '../../login/pages/form.js';

/** The form that asks for a one-time code (from the authenticator app, or a backup code), with its CSRF token. */
export function codeForm(f: {
  action: string;
  csrfToken: string;
  label: string;
  hint: string;
  submit: string;
}): SafeHtml {
  return html`<form method="post" action="${f.action}" novalidate>
${csrfField(f.csrfToken)}
${field({ id: 'code', label: f.label, type: 'text', autocomplete: 'one-time-code', hint: f.hint, autofocus: true })}
<div class="actions"><button type="submit">${f.submit}</button></div>
</form>`;
}
