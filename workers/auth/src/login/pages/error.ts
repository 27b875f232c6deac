import { html } from '../../../../../shared/html.js';
import { layout, type RenderedPage } from './layout.js';

export interface ErrorPageInput {
  nonce: string;
  status: number;
  title: string;
  /** Plain words for the user; error codes and descriptions for developers go in `detail`. */
  message: string;
  /** The OAuth error code and description, shown small, for whoever reports the problem. */
  detail?: string;
  lang?: string;
}

/** The page for errors that must not go back to a client (unknown client, unregistered redirect URI, …). */
export function errorPage(p: ErrorPageInput): RenderedPage {
  const body = html`<h1>${p.title}</h1>
<p>${p.message}</p>
${p.detail ? html`<p class="hint">Details: <code>${p.detail}</code></p>` : ''}`;
  return layout({ title: p.title, body, nonce: p.nonce, lang: p.lang, status: p.status });
}
