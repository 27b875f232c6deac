/** Alerts: filter by status, acknowledge and resolve. */
import { html, SafeHtml } from '../../../../../shared/html.js';
import type { AdminContext } from '../../services.js';
import { csrfField, dashboardPage } from '../pages/layout.js';
import { type Dashboard, outcome, type PageExtra, param, problemText, send } from './page.js';
import type { DashboardSession } from './session.js';

export function registerAlerts({ view, act, callApi, frameOf }: Dashboard): void {
  const alertsPage = async (c: AdminContext, s: DashboardSession, extra: PageExtra = {}) => {
    const status = c.req.query('status') ?? 'open,acknowledged';
    const list = await callApi(c, s, 'GET', `/v1/alerts?limit=200&status=${encodeURIComponent(status)}`);
    const act = (id: string, verb: string, label: string, summary: string) =>
      html`<form method="post" action="/dashboard/alerts/${id}/${verb}">${csrfField(s.csrf)}<button type="submit" class="secondary">${label}<span class="skip"> ${summary}</span></button></form>`;
    const body = html`<form method="get" action="/dashboard/alerts"><label for="status">Status</label><select id="status" name="status">${[
      ['open,acknowledged', 'Open and acknowledged'],
      ['open', 'Open'],
      ['acknowledged', 'Acknowledged'],
      ['resolved', 'Resolved'],
    ].map(
      ([v, l]) => html`<option value="${v}"${v === status ? new SafeHtml(' selected') : ''}>${l}</option>`,
    )}</select><button type="submit">Filter</button></form>
${
  list.status === 200
    ? html`<table><caption>Alerts</caption><thead><tr><th scope="col">Severity</th><th scope="col">Status</th><th scope="col">Summary</th><th scope="col">Events</th><th scope="col">Last seen</th><th scope="col">Actions</th></tr></thead><tbody>${(
        list.body.alerts as Record<string, unknown>[]
      ).map(
        (a) =>
          html`<tr><td>${String(a.severity)}</td><td>${String(a.status)}</td><td>${String(a.summary)}</td><td>${String(a.count)}</td><td>${String(a.last_seen)}</td><td>${
            a.status === 'open' ? act(String(a.id), 'acknowledge', 'Acknowledge', String(a.summary)) : ''
          }${a.status !== 'resolved' ? act(String(a.id), 'resolve', 'Resolve', String(a.summary)) : ''}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="problem">${problemText(list)}</p>`
}`;
    return send(dashboardPage(frameOf(s, 'alerts'), { title: 'Alerts', body, ...extra }));
  };
  view('/dashboard/alerts', (c, s) => alertsPage(c, s));
  for (const [verb, done] of [
    ['acknowledge', 'Alert acknowledged.'],
    ['resolve', 'Alert resolved.'],
  ] as const) {
    act(`/dashboard/alerts/:id/${verb}`, async (c, s) => {
      const a = await callApi(c, s, 'POST', `/v1/alerts/${encodeURIComponent(param(c, 'id'))}/${verb}`);
      return alertsPage(c, s, outcome(a, 200, done));
    });
  }
}
