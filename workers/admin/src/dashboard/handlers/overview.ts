/** The overview: the last hour's figures from the audit log, open alerts, and the signing keys. */
import { html } from '../../../../../shared/html.js';
import { keyTable } from '../pages/key-table.js';
import { dashboardPage } from '../pages/layout.js';
import { type ApiAnswer, type Dashboard, problemText, send } from './page.js';

export function registerOverview(d: Dashboard): void {
  const { view, callApi, frameOf } = d;

  view('/dashboard', async (c, s) => {
    const since = new Date(Date.now() - 3600_000).toISOString();
    const [alerts, keys, issued, failed, denied] = await Promise.all([
      callApi(c, s, 'GET', '/v1/alerts?status=open&limit=500'),
      callApi(c, s, 'GET', '/v1/keys'),
      callApi(c, s, 'GET', `/v1/audit?type=token.issued&since=${since}&limit=500`),
      callApi(c, s, 'GET', `/v1/audit?type=client.authentication_failed&since=${since}&limit=500`),
      callApi(c, s, 'GET', `/v1/audit?outcome=denied&since=${since}&limit=500`),
    ]);
    const count = (a: ApiAnswer, key: string) =>
      a.status === 200 ? `${a.body[key].length}${a.body[key].length >= 500 ? '+' : ''}` : 'not available';
    const bySeverity = new Map<string, number>();
    if (alerts.status === 200)
      for (const a of alerts.body.alerts) bySeverity.set(a.severity, (bySeverity.get(a.severity) ?? 0) + 1);
    const body = html`<p>Figures from the platform's own audit log (the monitor Worker) and the auth Worker's keys; the last hour unless said otherwise.</p>
<div class="cards">
<div class="card"><div class="figure">${count(issued, 'events')}</div>tokens issued</div>
<div class="card"><div class="figure">${count(failed, 'events')}</div>failed client authentications</div>
<div class="card"><div class="figure">${count(denied, 'events')}</div>denied requests</div>
<div class="card"><div class="figure">${count(alerts, 'alerts')}</div>open alerts${[...bySeverity].length ? html` (${[...bySeverity].map(([k, v]) => `${v} ${k}`).join(', ')})` : ''}</div>
</div>
<h2>Signing keys</h2>
${keys.status === 200 ? keyTable(keys.body.keys) : html`<p class="problem">${problemText(keys)}</p>`}`;
    return send(dashboardPage(frameOf(s, 'overview'), { title: 'Overview', body }));
  });
}
