import { html } from '../../../../../shared/html.js';
import { alert, field } from './form.js';
import { layout, type RenderedPage } from './layout.js';

/** The one-time password reset an operator gave the user (accounts/handlers/password-reset.ts). */
export function passwordResetPage(p: {
  nonce: string;
  error?: string;
  passwordError?: string;
  status?: number;
}): RenderedPage {
  const body = html`<h1>Set a new password</h1>
${alert(p.error)}
<p>Enter the reset code you were given and choose a new password. The code works once.</p>
<form method="post" action="/password-reset">
${field({ id: 'token', label: 'Reset code', type: 'text', autocomplete: 'one-time-code', autofocus: true })}
${field({ id: 'password', label: 'New password', type: 'password', autocomplete: 'new-password', error: p.passwordError, hint: 'At least 8 characters, and not a common password.' })}
<div class="actions"><button type="submit">Set password</button></div>
</form>`;
  return layout({ title: 'Set a new password', body, nonce: p.nonce, status: p.status });
}

export function passwordChangedPage(p: { nonce: string }): RenderedPage {
  return layout({
    title: 'Password changed',
    body: html`<h1>Your password is changed</h1><p>Sign in to your application again with the new password.</p>`,
    nonce: p.nonce,
  });
}
