/**
 * The overview: the last hour's figures counted by the monitor Worker from the platform's own audit log (every
 * event, by type and outcome: `/v1/audit/counts`), the open alerts, and the signing keys. Nothing is estimated: a
 * figure that cannot be read says so.
 */
import { html } from '../../../../../shared/html.js';
import { keyTable } from '../pages/key-table.js';
import { dashboardPage } from '../pages/layout.js';
import { type ApiAnswer, type Dashboard, problemText, send } from './page.js';

type Count = { type: string; outcome: string; count: number };

/** The sum of the counts that match, or null when the counts could not be read. */
function total(counts: ApiAnswer, match: (c: Count) => boolean): number | null {
  if (counts.status !== 200) return null;
  return (counts.body.counts as Count[]).filter(match).reduce((sum, c) => sum + c.count, 0);
}

const figure = (n: number | null, label: string, extra = '') =>
  html`<div class="card"><div class="figure">${n === null ? 'not available' : String(n)}${extra}</div>${label}</div>`;

export function registerOverview({ view, callApi, frameOf }: Dashboard): void {
  view('/dashboard', async (c, s) => {
    const [alerts, keys, counts] = await Promise.all([
      callApi(c, s, 'GET', '/v1/alerts?status=open&limit=500'),
      callApi(c, s, 'GET', '/v1/keys'),
      callApi(c, s, 'GET', '/v1/audit/counts'),
    ]);
    const issued = total(counts, (x) => x.type === 'token.issued' && x.outcome === 'success');
    const bySeverity = new Map<string, number>();
    if (alerts.status === 200)
      for (const a of alerts.body.alerts) bySeverity.set(a.severity, (bySeverity.get(a.severity) ?? 0) + 1);
    const open = alerts.status === 200 ? alerts.body.alerts.length : null;
    const severities = [...bySeverity].map(([k, v]) => `${v} ${k}`).join(', ');
    const body = html`<p>Figures counted by the monitor Worker from the platform's own audit log over the last hour${
      counts.status === 200 ? ` (${counts.body.since} to ${counts.body.until})` : ''
    }; open alerts and keys as they are now.</p>
${counts.status === 200 ? '' : html`<p class="problem">${problemText(counts)}</p>`}
<div class="cards">
${figure(issued, 'tokens issued', issued === null ? '' : ` (${(issued / 60).toFixed(1)}/min)`)}
${figure(
  total(counts, (x) => x.type === 'client.authentication_failed'),
  'failed client authentications',
)}
${figure(
  total(counts, (x) => x.outcome === 'failure'),
  'failures (errors)',
)}
${figure(
  total(counts, (x) => x.outcome === 'denied'),
  'denied requests',
)}
${figure(open, `open alerts${severities ? ` (${severities})` : ''}`, open !== null && open >= 500 ? '+' : '')}
</div>
<h2>Signing keys</h2>
${keys.status === 200 ? keyTable(keys.body.keys) : html`<p class="problem">${problemText(keys)}</p>`}`;
    return send(dashboardPage(frameOf(s, 'overview'), { title: 'Overview', body }));
  });
}
