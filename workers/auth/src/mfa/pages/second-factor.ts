import { alert } from '../../login/pages/form.js';
import { html, type SafeHtml } from '../../../../../shared/html.js';
import { layout, type RenderedPage } from '../../login/pages/layout.js';
import { codeForm } from './code-form.js';
import { ceremonyScript } from './passkey.js';

export interface SecondFactorPageInput {
  nonce: string;
  csrfToken: string;
  action: string;
  error?: string;
  status?: number;
  formActions?: readonly string[];
  /** The passkey form (pages/passkey.ts), when the user has passkeys: the page then carries the ceremony script. */
  passkey?: SafeHtml;
}

/** The second page of a sign-in: a code from the authenticator app, or a backup code. */
export function secondFactorPage(p: SecondFactorPageInput): RenderedPage {
  const body = html`<h1>Two-step verification</h1>
${alert(p.error)}
${codeForm({
  action: p.action,
  csrfToken: p.csrfToken,
  label: 'Authentication code',
  hint: 'The 6-digit code from your authenticator app, or one of your backup codes.',
  submit: 'Verify',
})}
${p.passkey ? html`<h2>Or use a passkey</h2>${p.passkey}` : ''}`;
  return layout({
    title: 'Two-step verification',
    body,
    nonce: p.nonce,
    status: p.status,
    formActions: p.formActions,
    ...(p.passkey ? { tail: ceremonyScript(p.nonce), script: true } : {}),
  });
}

/** After a backup code: how many are left, then on to the application. */
export function backupCodeUsedPage(p: { nonce: string; remaining: number; continueHref: string }): RenderedPage {
  const body = html`<h1>Backup code accepted</h1>
<p role="status">You have <strong>${String(p.remaining)}</strong> backup code${p.remaining === 1 ? '' : 's'} left.${
    p.remaining <= 3 ? ' Generate a new set from “Your security” soon.' : ''
  }</p>
<p><a href="${p.continueHref}">Continue</a></p>`;
  return layout({ title: 'Backup code accepted', body, nonce: p.nonce });
}
