/** Signing keys: the list, a scheduled rotation, and an emergency rotation (every key replaced at once). */
import { html } from '../../../../../shared/html.js';
import type { AdminContext } from '../../services.js';
import { keyTable } from '../pages/key-table.js';
import { csrfField, dashboardPage } from '../pages/layout.js';
import { type Dashboard, outcome, type PageExtra, problemText, send } from './page.js';
import type { DashboardSession } from './session.js';

export function registerKeys({ view, act, callApi, frameOf }: Dashboard): void {
  const keysPage = async (c: AdminContext, s: DashboardSession, extra: PageExtra = {}) => {
    const keys = await callApi(c, s, 'GET', '/v1/keys');
    const body = html`${keys.status === 200 ? keyTable(keys.body.keys) : html`<p class="problem">${problemText(keys)}</p>`}
<form method="post" action="/dashboard/keys/rotate">${csrfField(s.csrf)}<button type="submit">Rotate signing keys</button></form>
<h2>Emergency rotation</h2>
<p>When a signing key may be compromised: a new key signs at once and every other key is revoked, so tokens signed with them stop verifying.</p>
<form method="post" action="/dashboard/keys/emergency-rotate">${csrfField(s.csrf)}
<label for="reason">Reason (recorded in the audit log)</label><input type="text" id="reason" name="reason" required minlength="3" maxlength="500">
<button type="submit" class="danger">Emergency rotation</button></form>`;
    return send(dashboardPage(frameOf(s, 'keys'), { title: 'Signing keys', body, ...extra }));
  };
  view('/dashboard/keys', (c, s) => keysPage(c, s));
  act('/dashboard/keys/rotate', async (c, s) => {
    const a = await callApi(c, s, 'POST', '/v1/keys/rotate');
    return keysPage(
      c,
      s,
      outcome(a, 200, (a) => (a.body.changed ? 'Keys rotated.' : 'Nothing to rotate yet.')),
    );
  });
  act('/dashboard/keys/emergency-rotate', async (c, s, form) => {
    const a = await callApi(c, s, 'POST', '/v1/keys/emergency-rotate', { reason: form.reason ?? '' });
    return keysPage(c, s, outcome(a, 200, 'Emergency rotation done: a new key signs, every other key is revoked.'));
  });
}
