import { field, csrfField, alert } from './form.js';
import { html } from '../../../../../shared/html.js';
import { layout, type RenderedPage } from './layout.js';

export interface SignInPageInput {
  nonce: string;
  csrfToken: string;
  /** Where the form posts (same origin). */
  action: string;
  /** Link to sign-up, when accounts can be created. */
  signUpHref?: string;
  /** The application the user is signing in to, when known. */
  clientName?: string;
  email?: string;
  /** The one message for any failed attempt (see throttle.ts). */
  error?: string;
  fieldErrors?: { email?: string; password?: string };
  formActions?: readonly string[];
  lang?: string;
  status?: number;
}

export function signInPage(p: SignInPageInput): RenderedPage {
  const body = html`<h1>Sign in</h1>
${p.clientName ? html`<p>to continue to <strong>${p.clientName}</strong></p>` : ''}
${alert(p.error)}
<form method="post" action="${p.action}" novalidate>
${csrfField(p.csrfToken)}
${field({ id: 'email', label: 'Email', type: 'email', autocomplete: 'username', value: p.email, error: p.fieldErrors?.email, autofocus: !p.email })}
${field({ id: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', error: p.fieldErrors?.password, autofocus: !!p.email })}
<div class="actions"><button type="submit">Sign in</button></div>
</form>
<p><a href="/login/passkey">Sign in with a passkey</a></p>
${p.signUpHref ? html`<p>No account yet? <a href="${p.signUpHref}">Create an account</a></p>` : ''}`;
  return layout({ title: 'Sign in', body, nonce: p.nonce, lang: p.lang, status: p.status, formActions: p.formActions });
}
