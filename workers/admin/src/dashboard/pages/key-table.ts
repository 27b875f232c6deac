/** The signing keys table, on the overview and the keys page (the admin API's fields). */
import { html } from '../../../../../shared/html.js';

export function keyTable(keys: Record<string, unknown>[]) {
  return html`<table><caption>Keys and their status</caption><thead><tr><th scope="col">Key id</th><th scope="col">Algorithm</th><th scope="col">Status</th><th scope="col">Signing</th><th scope="col">Active from</th><th scope="col">Expires</th></tr></thead><tbody>${keys.map(
    (k) =>
      html`<tr><td>${String(k.kid ?? k.id ?? '-')}</td><td>${String(k.alg ?? '-')}</td><td>${String(k.status ?? '-')}</td><td>${k.signing ? 'yes' : 'no'}</td><td>${String(k.activates_at ?? '-')}</td><td>${String(k.expires_at ?? '-')}</td></tr>`,
  )}</tbody></table>`;
}
