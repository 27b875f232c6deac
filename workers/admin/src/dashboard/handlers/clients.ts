/** Clients: search, create (the secret shown once), rotate the secret, disable and enable, delete. */
import { html, type SafeHtml } from '../../../../../shared/html.js';
import type { AdminContext } from '../../services.js';
import { csrfField, dashboardPage } from '../pages/layout.js';
import { type Dashboard, outcome, type PageExtra, param, problemText, send } from './page.js';
import type { DashboardSession } from './session.js';

export function registerClients({ view, act, callApi, frameOf }: Dashboard): void {
  const clientsPage = async (c: AdminContext, s: DashboardSession, extra: PageExtra & { created?: SafeHtml } = {}) => {
    const search = c.req.query('search') ?? '';
    const list = await callApi(
      c,
      s,
      'GET',
      `/v1/clients?limit=100${search ? `&search=${encodeURIComponent(search)}` : ''}`,
    );
    const body = html`${extra.created ?? ''}
<form method="get" action="/dashboard/clients"><label for="search">Search clients</label><input type="search" id="search" name="search" value="${search}"><button type="submit">Search</button></form>
${
  list.status === 200
    ? html`<table><caption>Clients</caption><thead><tr><th scope="col">Client id</th><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Scope</th><th scope="col">Actions</th></tr></thead><tbody>${(
        list.body.clients as Record<string, unknown>[]
      ).map(
        (cl) =>
          html`<tr><td><a href="/dashboard/clients/${encodeURIComponent(String(cl.client_id))}">${String(cl.client_id)}</a></td><td>${String(cl.client_name ?? '-')}</td><td>${String(cl.status)}</td><td>${String(cl.scope ?? '')}</td><td>${clientActions(cl, s.csrf)}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="problem">${problemText(list)}</p>`
}
<h2>Create a client</h2>
<form method="post" action="/dashboard/clients">${csrfField(s.csrf)}
<label for="client_name">Name</label><input type="text" id="client_name" name="client_name" required maxlength="256">
<label for="scope">Scopes (space-separated)</label><input type="text" id="scope" name="scope" maxlength="2048">
<button type="submit">Create client</button></form>`;
    return send(dashboardPage(frameOf(s, 'clients'), { title: 'Clients', body, ...extra }));
  };

  /** The buttons of a client's row: disable or enable, rotate the secret (confidential clients), delete. */
  function clientActions(cl: Record<string, unknown>, csrf: string) {
    if (cl.status !== 'active' && cl.status !== 'disabled') return '';
    const id = encodeURIComponent(String(cl.client_id));
    const name = String(cl.client_name ?? cl.client_id);
    const button = (verb: string, label: string, what: string, cls = 'secondary') =>
      html`<form method="post" action="/dashboard/clients/${id}/${verb}">${csrfField(csrf)}<button type="submit" class="${cls}">${label}<span class="skip"> ${what}</span></button></form>`;
    return html`${cl.status === 'active' ? button('disable', 'Disable', name) : button('enable', 'Enable', name)}${
      cl.token_endpoint_auth_method !== 'none' ? button('secret', 'Rotate secret', `of ${name}`) : ''
    }${button('delete', 'Delete', name, 'danger')}`;
  }

  /** A client's secret, in the one answer that carries it (no-store; never stored or shown again). */
  function secretOnce(client: { client_id?: unknown; client_secret?: unknown }, what: string) {
    return html`<section aria-labelledby="secret-once"><h2 id="secret-once">Client ${String(client.client_id)} ${what}</h2>
<p>Its secret is shown this once. Copy it now: it cannot be shown again (rotate it if it is lost).</p>
<p><strong>Client id:</strong> <span class="secret" id="new-client-id">${String(client.client_id)}</span></p>
<p><strong>Client secret:</strong> <span class="secret" id="new-client-secret">${String(client.client_secret)}</span></p></section>`;
  }

  view('/dashboard/clients', (c, s) => clientsPage(c, s));

  act('/dashboard/clients', async (c, s, form) => {
    const body: Record<string, unknown> = { client_name: form.client_name ?? '' };
    if (form.scope) body.scope = form.scope;
    const a = await callApi(c, s, 'POST', '/v1/clients', body);
    if (a.status !== 201) return clientsPage(c, s, outcome(a, 201, ''));
    // The secret is in this one answer (no-store) and nowhere else: it is never stored or shown again.
    return clientsPage(c, s, { created: secretOnce(a.body, 'created'), status: 201 });
  });

  act('/dashboard/clients/:id/secret', async (c, s) => {
    const a = await callApi(c, s, 'POST', `/v1/clients/${encodeURIComponent(param(c, 'id'))}/secret`);
    if (a.status !== 200) return clientsPage(c, s, outcome(a, 200, ''));
    return clientsPage(c, s, { created: secretOnce(a.body, 'given a new secret (the old one no longer works)') });
  });

  for (const [verb, method, api, done] of [
    ['disable', 'POST', '/disable', 'Client disabled.'],
    ['enable', 'POST', '/enable', 'Client enabled.'],
    ['delete', 'DELETE', '', 'Client deleted (its id is never issued again).'],
  ] as const) {
    act(`/dashboard/clients/:id/${verb}`, async (c, s) => {
      const a = await callApi(c, s, method, `/v1/clients/${encodeURIComponent(param(c, 'id'))}${api}`);
      return clientsPage(c, s, outcome(a, method === 'DELETE' ? 204 : 200, done));
    });
  }
}
