/**
 * The passkey forms. The WebAuthn ceremony needs the browser's API, so these are the hosted pages' only scripts
 * besides form_post: one static script, allowed by the page's nonce. It reads the server's options from the form's
 * `data-options` (escaped like any attribute), runs the ceremony, puts the credential's JSON in a hidden field and
 * submits the form: the result goes back as an ordinary CSRF-protected form post, no fetch.
 */
import { csrfField } from '../../login/pages/form.js';
import { html, SafeHtml } from '../../../../../shared/html.js';

const CEREMONY_SCRIPT = `(() => {
  const form = document.getElementById('passkey-form');
  if (!form) return;
  const dec = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4)), (c) => c.charCodeAt(0));
  const enc = (b) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  const ids = (list) => (list || []).map((c) => ({ ...c, id: dec(c.id) }));
  form.addEventListener('submit', async (event) => {
    if (form.elements.credential.value) return;
    event.preventDefault();
    const o = JSON.parse(form.dataset.options);
    const status = document.getElementById('passkey-status');
    try {
      let cred, response;
      if (form.dataset.ceremony === 'register') {
        cred = await navigator.credentials.create({ publicKey: { ...o, challenge: dec(o.challenge), user: { ...o.user, id: dec(o.user.id) }, excludeCredentials: ids(o.excludeCredentials) } });
        response = { clientDataJSON: enc(cred.response.clientDataJSON), attestationObject: enc(cred.response.attestationObject), transports: cred.response.getTransports ? cred.response.getTransports() : [] };
      } else {
        cred = await navigator.credentials.get({ publicKey: { ...o, challenge: dec(o.challenge), allowCredentials: ids(o.allowCredentials) } });
        response = { clientDataJSON: enc(cred.response.clientDataJSON), authenticatorData: enc(cred.response.authenticatorData), signature: enc(cred.response.signature), userHandle: cred.response.userHandle ? enc(cred.response.userHandle) : undefined };
      }
      form.elements.credential.value = JSON.stringify({ id: cred.id, rawId: enc(cred.rawId), type: cred.type, response, clientExtensionResults: cred.getClientExtensionResults(), authenticatorAttachment: cred.authenticatorAttachment || undefined });
      form.requestSubmit();
    } catch (e) {
      status.textContent = 'The passkey could not be used (' + e.name + '). Try again.';
    }
  });
})();`;

export function ceremonyScript(nonce: string): SafeHtml {
  return html`<script nonce="${nonce}">${new SafeHtml(CEREMONY_SCRIPT)}</script>`;
}

export function passkeyForm(p: {
  ceremony: 'register' | 'authenticate';
  action: string;
  csrfToken: string;
  /** The options JSON from @simplewebauthn/server. */
  options: unknown;
  label: string;
  /** Registration: the name field. */
  withName?: boolean;
}): SafeHtml {
  return html`<form id="passkey-form" method="post" action="${p.action}" data-ceremony="${p.ceremony}" data-options="${JSON.stringify(p.options)}">
${csrfField(p.csrfToken)}
<input type="hidden" name="credential" value="">
${
  p.withName
    ? html`<label for="passkey-name">Name for this passkey</label>
<input id="passkey-name" name="name" type="text" autocomplete="off" value="Passkey" required>`
    : ''
}
<p id="passkey-status" role="status"></p>
<div class="actions"><button type="submit">${p.label}</button></div>
</form>`;
}
