import { alert, csrfField } from '../../login/pages/form.js';
import { html, SafeHtml } from '../../../../../shared/html.js';
import { layout, type RenderedPage } from '../../login/pages/layout.js';
import { codeForm } from './code-form.js';

export interface SecurityPageInput {
  nonce: string;
  csrfToken: string;
  userEmail: string;
  totpEnrolled: boolean;
  passkeys: readonly { id: string; name: string; createdAt: number }[];
  backupCodesRemaining: number;
  notice?: string;
  error?: string;
  status?: number;
}

function postButton(action: string, csrfToken: string, label: string, secondary = false) {
  return html`<form method="post" action="${action}">
${csrfField(csrfToken)}
<div class="actions"><button type="submit"${secondary ? html` class="secondary"` : ''}>${label}</button></div>
</form>`;
}

/** "Your security": the factors the signed-in user has, and the forms that change them. */
export function securityPage(p: SecurityPageInput): RenderedPage {
  const body = html`<h1>Your security</h1>
<p>Signed in as <strong>${p.userEmail}</strong>.</p>
${p.notice ? html`<p role="status">${p.notice}</p>` : ''}
${alert(p.error)}
<h2>Authenticator app</h2>
${
  p.totpEnrolled
    ? html`<p>An authenticator app is set up: signing in asks for its code after your password.</p>
${postButton('/account/security/totp/remove', p.csrfToken, 'Remove authenticator app', true)}`
    : html`<p>Not set up. With an authenticator app, signing in also asks for a code only your phone can produce.</p>
${postButton('/account/security/totp', p.csrfToken, 'Set up an authenticator app')}`
}
<h2>Passkeys</h2>
${
  p.passkeys.length > 0
    ? html`<ul class="sessions">${p.passkeys.map(
        (k) => html`<li><strong>${k.name}</strong>, added ${new Date(k.createdAt * 1000).toISOString().slice(0, 10)}
<form method="post" action="/account/security/passkeys/remove">
${csrfField(p.csrfToken)}
<input type="hidden" name="id" value="${k.id}">
<button type="submit" class="secondary">Remove<span class="visually-hidden"> passkey ${k.name}</span></button>
</form></li>`,
      )}</ul>`
    : html`<p>No passkeys.</p>`
}
${postButton('/account/security/passkeys', p.csrfToken, 'Add a passkey', true)}
<h2>Backup codes</h2>
<p>${
    p.backupCodesRemaining > 0
      ? `You have ${p.backupCodesRemaining} unused backup code${p.backupCodesRemaining === 1 ? '' : 's'}.`
      : 'You have no backup codes.'
  }</p>
${p.totpEnrolled || p.passkeys.length > 0 ? postButton('/account/security/backup-codes', p.csrfToken, 'Generate new backup codes', true) : ''}`;
  return layout({ title: 'Your security', body, nonce: p.nonce, status: p.status });
}

export interface TotpEnrolmentPageInput {
  nonce: string;
  csrfToken: string;
  /** The QR code of the otpauth:// URI, as SVG markup (uqr, generated from our own URI: no user input). */
  qrSvg: string;
  /** The secret in base32, for typing in by hand. */
  secret: string;
  error?: string;
  status?: number;
}

export function totpEnrolmentPage(p: TotpEnrolmentPageInput): RenderedPage {
  const grouped = p.secret.replace(/(.{4})/g, '$1 ').trim();
  const body = html`<h1>Set up an authenticator app</h1>
${alert(p.error)}
<p>Scan this QR code with your authenticator app.</p>
<figure role="img" aria-label="QR code of your authenticator secret">${new SafeHtml(p.qrSvg)}</figure>
<p>Or enter this key by hand: <code id="totp-secret" data-secret="${p.secret}">${grouped}</code></p>
${codeForm({
  action: '/account/security/totp/confirm',
  csrfToken: p.csrfToken,
  label: 'Code from the app',
  hint: 'Enter the 6-digit code the app shows to finish.',
  submit: 'Verify and turn on',
})}`;
  return layout({ title: 'Set up an authenticator app', body, nonce: p.nonce, status: p.status });
}

/** The new backup codes, shown this once. */
export function backupCodesPage(p: { nonce: string; codes: readonly string[]; notice?: string }): RenderedPage {
  const body = html`<h1>Your backup codes</h1>
${p.notice ? html`<p role="status">${p.notice}</p>` : ''}
<p>Each code signs you in once if you lose your authenticator app. Keep them somewhere safe: they are not shown again,
and any older codes no longer work.</p>
<ul class="backup-codes">${p.codes.map((code) => html`<li><code>${code}</code></li>`)}</ul>
<p><a href="/account/security">Back to your security</a></p>`;
  return layout({ title: 'Your backup codes', body, nonce: p.nonce });
}
