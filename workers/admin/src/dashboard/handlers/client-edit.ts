/** A client's page: its registration, and an update of its name, scopes and first-party flag. */
import { html, SafeHtml } from '../../../../../shared/html.js';
import type { AdminContext } from '../../services.js';
import { csrfField, dashboardPage } from '../pages/layout.js';
import { type Dashboard, outcome, type PageExtra, param, problemText, send } from './page.js';
import type { DashboardSession } from './session.js';

const clientPath = (id: string) => `/v1/clients/${encodeURIComponent(id)}`;

export function registerClientEdit({ view, act, callApi, frameOf }: Dashboard): void {
  const clientPage = async (c: AdminContext, s: DashboardSession, id: string, extra: PageExtra = {}) => {
    const client = await callApi(c, s, 'GET', clientPath(id));
    if (client.status !== 200) {
      const problem = problemText(client);
      return send(
        dashboardPage(frameOf(s, 'clients'), { title: 'Client', status: client.status, problem, body: html`` }),
      );
    }
    const cl = client.body;
    const checked = cl.first_party ? new SafeHtml(' checked') : '';
    const body = html`<dl><dt>Client id</dt><dd>${cl.client_id}</dd><dt>Status</dt><dd>${cl.status}</dd><dt>Grant types</dt><dd>${(cl.grant_types as string[]).join(', ')}</dd><dt>Redirect URIs</dt><dd>${(cl.redirect_uris as string[]).join(', ') || '-'}</dd><dt>Authentication</dt><dd>${cl.token_endpoint_auth_method}</dd></dl>
<h2>Update</h2>
<form method="post" action="/dashboard/clients/${encodeURIComponent(cl.client_id)}/update">${csrfField(s.csrf)}
<label for="client_name">Name</label><input type="text" id="client_name" name="client_name" maxlength="256" value="${cl.client_name ?? ''}">
<label for="scope">Scopes (space-separated; also the approved ceiling)</label><input type="text" id="scope" name="scope" maxlength="2048" value="${cl.scope ?? ''}">
<p><input type="checkbox" id="first_party" name="first_party" value="yes"${checked}> <label for="first_party" class="inline">First-party (its users are not asked for consent)</label></p>
<button type="submit">Save changes</button></form>
<p><a href="/dashboard/clients">All clients</a></p>`;
    return send(
      dashboardPage(frameOf(s, 'clients'), { title: `Client ${cl.client_name ?? cl.client_id}`, body, ...extra }),
    );
  };

  view('/dashboard/clients/:id', (c, s) => clientPage(c, s, param(c, 'id')));
  act('/dashboard/clients/:id/update', async (c, s, form) => {
    const id = param(c, 'id');
    // Only what changed is sent: a code-flow client's metadata is the auth Worker's to validate, field by field.
    const current = await callApi(c, s, 'GET', clientPath(id));
    if (current.status !== 200) return clientPage(c, s, id, outcome(current, 200, ''));
    const patch: Record<string, unknown> = {};
    const name = form.client_name ?? '';
    if (name !== (current.body.client_name ?? '')) patch.client_name = name === '' ? null : name;
    if ((form.scope ?? '') !== (current.body.scope ?? '')) patch.scope = form.scope ?? '';
    if ((form.first_party === 'yes') !== current.body.first_party) patch.first_party = form.first_party === 'yes';
    if (Object.keys(patch).length === 0) return clientPage(c, s, id, { notice: 'Nothing changed.' });
    const a = await callApi(c, s, 'PATCH', clientPath(id), patch);
    return clientPage(c, s, id, outcome(a, 200, `Client updated (${Object.keys(patch).join(', ')}).`));
  });
}
