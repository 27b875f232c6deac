/** Signing keys: the list and a rotation. */
import { html } from '../../../../../shared/html.js';
import type { AdminContext } from '../../services.js';
import { keyTable } from '../pages/key-table.js';
import { csrfField, dashboardPage } from '../pages/layout.js';
import { type Dashboard, problemText, send } from './page.js';
import type { DashboardSession } from './session.js';

export function registerKeys(d: Dashboard): void {
  const { app, callApi, page, change, frameOf } = d;

  async function keysPage(
    c: AdminContext,
    s: DashboardSession,
    extra: { notice?: string; problem?: string; status?: number } = {},
  ) {
    const keys = await callApi(c, s, 'GET', '/v1/keys');
    const body = html`${keys.status === 200 ? keyTable(keys.body.keys) : html`<p class="problem">${problemText(keys)}</p>`}
<form method="post" action="/dashboard/keys/rotate">${csrfField(s.csrf)}<button type="submit">Rotate signing keys</button></form>`;
    return send(dashboardPage(frameOf(s, 'keys'), { title: 'Signing keys', body, ...extra }));
  }
  app.get(
    '/dashboard/keys',
    page('keys', (c, s) => keysPage(c, s)),
  );
  app.post(
    '/dashboard/keys/rotate',
    page('keys', async (c, s) => {
      const f = await change(c, s);
      if (f instanceof Response) return f;
      const a = await callApi(c, s, 'POST', '/v1/keys/rotate');
      return keysPage(
        c,
        s,
        a.status === 200
          ? { notice: a.body.changed ? 'Keys rotated.' : 'Nothing to rotate yet.' }
          : { problem: problemText(a), status: a.status },
      );
    }),
  );
}
