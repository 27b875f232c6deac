/** Clients: search, create (the secret shown once), rotate the secret, disable and enable. */
import { html, type SafeHtml } from '../../../../../shared/html.js';
import type { AdminContext } from '../../services.js';
import { csrfField, dashboardPage } from '../pages/layout.js';
import { type Dashboard, param, problemText, send } from './page.js';
import type { DashboardSession } from './session.js';

export function registerClients(d: Dashboard): void {
  const { app, callApi, page, change, frameOf } = d;

  async function clientsPage(
    c: AdminContext,
    s: DashboardSession,
    extra: { notice?: string; problem?: string; created?: SafeHtml; status?: number } = {},
  ) {
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
          html`<tr><td>${String(cl.client_id)}</td><td>${String(cl.client_name ?? '-')}</td><td>${String(cl.status)}</td><td>${String(cl.scope ?? '')}</td><td>${
            cl.status === 'active' || cl.status === 'disabled'
              ? html`<form method="post" action="/dashboard/clients/${encodeURIComponent(String(cl.client_id))}/${cl.status === 'active' ? 'disable' : 'enable'}">${csrfField(s.csrf)}<button type="submit" class="secondary">${cl.status === 'active' ? 'Disable' : 'Enable'}<span class="skip"> ${String(cl.client_name ?? cl.client_id)}</span></button></form>${
                  cl.token_endpoint_auth_method !== 'none'
                    ? html`<form method="post" action="/dashboard/clients/${encodeURIComponent(String(cl.client_id))}/secret">${csrfField(s.csrf)}<button type="submit" class="secondary">Rotate secret<span class="skip"> of ${String(cl.client_name ?? cl.client_id)}</span></button></form>`
                    : ''
                }`
              : ''
          }</td></tr>`,
      )}</tbody></table>`
    : html`<p class="problem">${problemText(list)}</p>`
}
<h2>Create a client</h2>
<form method="post" action="/dashboard/clients">${csrfField(s.csrf)}
<label for="client_name">Name</label><input type="text" id="client_name" name="client_name" required maxlength="256">
<label for="scope">Scopes (space-separated)</label><input type="text" id="scope" name="scope" maxlength="2048">
<button type="submit">Create client</button></form>`;
    return send(dashboardPage(frameOf(s, 'clients'), { title: 'Clients', body, ...extra }));
  }

  /** A client's secret, in the one answer that carries it (no-store; never stored or shown again). */
  function secretOnce(client: { client_id?: unknown; client_secret?: unknown }, what: string) {
    return html`<section aria-labelledby="secret-once"><h2 id="secret-once">Client ${String(client.client_id)} ${what}</h2>
<p>Its secret is shown this once. Copy it now: it cannot be shown again (rotate it if it is lost).</p>
<p><strong>Client id:</strong> <span class="secret" id="new-client-id">${String(client.client_id)}</span></p>
<p><strong>Client secret:</strong> <span class="secret" id="new-client-secret">${String(client.client_secret)}</span></p></section>`;
  }

  app.get(
    '/dashboard/clients',
    page('clients', (c, s) => clientsPage(c, s)),
  );

  app.post(
    '/dashboard/clients',
    page('clients', async (c, s) => {
      const f = await change(c, s);
      if (f instanceof Response) return f;
      const body: Record<string, unknown> = { client_name: f.client_name ?? '' };
      if (f.scope) body.scope = f.scope;
      const a = await callApi(c, s, 'POST', '/v1/clients', body);
      if (a.status !== 201) return clientsPage(c, s, { problem: problemText(a), status: a.status });
      // The secret is in this one answer (no-store) and nowhere else: it is never stored or shown again.
      return clientsPage(c, s, { created: secretOnce(a.body, 'created'), status: 201 });
    }),
  );

  app.post(
    '/dashboard/clients/:id/secret',
    page('clients', async (c, s) => {
      const f = await change(c, s);
      if (f instanceof Response) return f;
      const a = await callApi(c, s, 'POST', `/v1/clients/${encodeURIComponent(param(c, 'id'))}/secret`);
      if (a.status !== 200) return clientsPage(c, s, { problem: problemText(a), status: a.status });
      return clientsPage(c, s, { created: secretOnce(a.body, 'given a new secret (the old one no longer works)') });
    }),
  );

  for (const verb of ['disable', 'enable'] as const) {
    app.post(
      `/dashboard/clients/:id/${verb}`,
      page('clients', async (c, s) => {
        const f = await change(c, s);
        if (f instanceof Response) return f;
        const a = await callApi(c, s, 'POST', `/v1/clients/${encodeURIComponent(param(c, 'id'))}/${verb}`);
        return clientsPage(
          c,
          s,
          a.status === 200 ? { notice: `Client ${verb}d.` } : { problem: problemText(a), status: a.status },
        );
      }),
    );
  }
}
