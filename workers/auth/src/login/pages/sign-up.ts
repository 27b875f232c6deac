import { MIN_PASSWORD_LENGTH } from '../../accounts/domain/password-rules.js';
import { alert, csrfField, field } from './form.js';
import { html } from '../../../../../shared/html.js';
import { layout, type RenderedPage } from './layout.js';

export interface SignUpPageInput {
  nonce: string;
  csrfToken: string;
  action: string;
  signInHref?: string;
  email?: string;
  name?: string;
  error?: string;
  /** Messages from normalizeEmail and checkNewPassword, shown next to their fields. */
  fieldErrors?: { email?: string; password?: string; name?: string };
  formActions?: readonly string[];
  lang?: string;
  status?: number;
}

export function signUpPage(p: SignUpPageInput): RenderedPage {
  const body = html`<h1>Create an account</h1>
${alert(p.error)}
<form method="post" action="${p.action}" novalidate>
${csrfField(p.csrfToken)}
${field({ id: 'name', label: 'Name', type: 'text', autocomplete: 'name', value: p.name, error: p.fieldErrors?.name, required: false })}
${field({ id: 'email', label: 'Email', type: 'email', autocomplete: 'username', value: p.email, error: p.fieldErrors?.email })}
${field({
  id: 'password',
  label: 'Password',
  type: 'password',
  autocomplete: 'new-password',
  hint: `At least ${MIN_PASSWORD_LENGTH} characters. A few unrelated words make a strong, memorable password.`,
  error: p.fieldErrors?.password,
})}
<div class="actions"><button type="submit">Create account</button></div>
</form>
${p.signInHref ? html`<p>Already have an account? <a href="${p.signInHref}">Sign in</a></p>` : ''}`;
  return layout({
    title: 'Create an account',
    body,
    nonce: p.nonce,
    lang: p.lang,
    status: p.status,
    formActions: p.formActions,
  });
}
