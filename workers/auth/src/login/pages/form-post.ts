/**
 * response_mode=form_post (OAuth 2.0 Form Post Response Mode): the authorization response as an HTML form that
 * posts itself to the client's redirect URI. The one script is allowed by its nonce; without JavaScript the user
 * presses the button. `form-action` allows exactly the redirect URI's origin.
 */
import { html } from '../../../../../shared/html.js';
import { formActionSource, layout, type RenderedPage } from './layout.js';

export function formPostPage(p: {
  nonce: string;
  redirectUri: string;
  params: readonly (readonly [string, string])[];
}): RenderedPage {
  const source = formActionSource(p.redirectUri);
  if (!source || !/^https?:/.test(p.redirectUri)) throw new Error('form_post needs an http(s) redirect URI');
  const body = html`<h1>Continue to the application</h1>
<form method="post" action="${p.redirectUri}">
${p.params.map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
<noscript><p>JavaScript is off: press the button to continue.</p></noscript>
<div class="actions"><button type="submit">Continue</button></div>
</form>`;
  const tail = html`<script nonce="${p.nonce}">document.forms[0].submit();</script>`;
  return layout({ title: 'Continue', body, nonce: p.nonce, formActions: [source], tail, script: true });
}
