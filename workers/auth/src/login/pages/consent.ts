import { describeScope } from '../domain/consent.js';
import { csrfField } from './form.js';
import { html, safeLink } from '../../../../../shared/html.js';
import { layout, type RenderedPage } from './layout.js';

export interface ConsentPageInput {
  nonce: string;
  csrfToken: string;
  action: string;
  clientName: string;
  /** Shown as the client's home page link when it is an http(s) URL. */
  clientUri?: string;
  policyUri?: string;
  tosUri?: string;
  /** The signed-in user, so they can tell which account they are granting from. */
  userEmail: string;
  scopes: readonly string[];
  /** Operator descriptions of API scopes. */
  scopeDescriptions?: Readonly<Record<string, string>>;
  /** Origins the approval may redirect to (the client's redirect URI). */
  formActions?: readonly string[];
  lang?: string;
}

export function consentPage(p: ConsentPageInput): RenderedPage {
  const home = safeLink(p.clientUri);
  const policy = safeLink(p.policyUri);
  const tos = safeLink(p.tosUri);
  const body = html`<h1>${p.clientName} wants to access your account</h1>
<p>Signed in as <strong>${p.userEmail}</strong>.${home ? html` <a href="${home}" rel="noopener noreferrer">About ${p.clientName}</a>` : ''}</p>
<h2>This will allow ${p.clientName} to:</h2>
<ul>
${p.scopes.map((s) => html`<li>${describeScope(s, p.scopeDescriptions)}</li>`)}
</ul>
${
  policy || tos
    ? html`<p>${policy ? html`<a href="${policy}" rel="noopener noreferrer">Privacy policy</a>` : ''}${policy && tos ? ' · ' : ''}${
        tos ? html`<a href="${tos}" rel="noopener noreferrer">Terms of service</a>` : ''
      }</p>`
    : ''
}
<form method="post" action="${p.action}">
${csrfField(p.csrfToken)}
<div class="actions">
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</div>
</form>`;
  return layout({ title: `Allow ${p.clientName}?`, body, nonce: p.nonce, lang: p.lang, formActions: p.formActions });
}
