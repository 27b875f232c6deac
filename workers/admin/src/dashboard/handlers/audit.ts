/** The audit log, newest first, filtered by event type and actor. */
import { html } from '../../../../../shared/html.js';
import { dashboardPage } from '../pages/layout.js';
import { type Dashboard, problemText, send } from './page.js';

export function registerAudit(d: Dashboard): void {
  const { view, callApi, frameOf } = d;

  view('/dashboard/audit', async (c, s) => {
    const q = new URLSearchParams({ limit: '200' });
    const type = c.req.query('type') ?? '';
    const actor = c.req.query('actor') ?? '';
    if (type) q.set('type', type);
    if (actor) q.set('actor', actor);
    const list = await callApi(c, s, 'GET', `/v1/audit?${q}`);
    const body = html`<form method="get" action="/dashboard/audit"><label for="type">Event type</label><input type="text" id="type" name="type" value="${type}"><label for="actor">Actor</label><input type="text" id="actor" name="actor" value="${actor}"><button type="submit">Filter</button></form>
${
  list.status === 200
    ? html`<table><caption>Audit log (newest first)</caption><thead><tr><th scope="col">Time</th><th scope="col">Type</th><th scope="col">Outcome</th><th scope="col">Service</th><th scope="col">Actor</th><th scope="col">Client</th><th scope="col">User</th></tr></thead><tbody>${(
        list.body.events as Record<string, unknown>[]
      ).map(
        (e) =>
          html`<tr><td>${String(e.time)}</td><td>${String(e.type)}</td><td>${String(e.outcome)}</td><td>${String(e.service ?? '-')}</td><td>${String(e.actor ?? '-')}</td><td>${String(e.client_id ?? '-')}</td><td>${String(e.user_id ?? '-')}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="problem">${problemText(list)}</p>`
}`;
    return send(dashboardPage(frameOf(s, 'audit'), { title: 'Audit log', body }));
  });
}
