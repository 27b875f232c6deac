/** Policies: the versions, a diff of two, publish a new version and activate one. */
import { html } from '../../../../../shared/html.js';
import type { AdminContext } from '../../services.js';
import { csrfField, dashboardPage } from '../pages/layout.js';
import { type Dashboard, outcome, type PageExtra, param, problemText, send } from './page.js';
import type { DashboardSession } from './session.js';

export function registerPolicies({ view, act, callApi, frameOf }: Dashboard): void {
  const policiesPage = async (c: AdminContext, s: DashboardSession, extra: PageExtra & { draft?: string } = {}) => {
    const versions = await callApi(c, s, 'GET', '/v1/policies/versions');
    const from = c.req.query('from');
    const to = c.req.query('to');
    const diff =
      from && to
        ? await callApi(c, s, 'GET', `/v1/policies/diff?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`)
        : null;
    const body = html`${
      versions.status === 200
        ? html`<p>Active version: <strong id="active-version">${String(versions.body.active_version ?? 'none')}</strong></p>
<table><caption>Policy versions</caption><thead><tr><th scope="col">Version</th><th scope="col">Comment</th><th scope="col">Active</th><th scope="col">Actions</th></tr></thead><tbody>${(
            versions.body.versions as Record<string, unknown>[]
          ).map(
            (v) =>
              html`<tr><td>${String(v.version)}</td><td>${String(v.comment ?? '-')}</td><td>${v.active ? 'yes' : 'no'}</td><td>${
                v.active
                  ? ''
                  : html`<form method="post" action="/dashboard/policies/${String(v.version)}/activate">${csrfField(s.csrf)}<button type="submit">Activate<span class="skip"> version ${String(v.version)}</span></button></form>`
              }</td></tr>`,
          )}</tbody></table>`
        : html`<p class="problem">${problemText(versions)}</p>`
    }
<p><a href="/dashboard/entities">Policy entities</a> (the stored Cedar entities)</p>
<h2>Compare two versions</h2>
<form method="get" action="/dashboard/policies"><label for="from">From version</label><input type="text" inputmode="numeric" id="from" name="from" value="${from ?? ''}"><label for="to">To version</label><input type="text" inputmode="numeric" id="to" name="to" value="${to ?? ''}"><button type="submit">Show diff</button></form>
${diff ? (diff.status === 200 ? html`<pre aria-label="Policy diff">${(diff.body.policies.lines as { op: string; line: string }[]).filter((l) => l.op !== ' ').map((l) => html`<span class="${l.op === '+' ? 'add' : 'del'}">${l.op} ${l.line}</span>\n`)}</pre>` : html`<p class="problem">${problemText(diff)}</p>`) : ''}
<h2>Publish a new version</h2>
<form method="post" action="/dashboard/policies">${csrfField(s.csrf)}
<label for="policies">Cedar policies</label><textarea id="policies" name="policies" required>${extra.draft ?? ''}</textarea>
<label for="comment">Comment</label><input type="text" id="comment" name="comment" maxlength="1000">
<button type="submit">Publish (validated by Cedar)</button></form>`;
    return send(dashboardPage(frameOf(s, 'policies'), { title: 'Policies', body, ...extra }));
  };
  view('/dashboard/policies', (c, s) => policiesPage(c, s));
  act('/dashboard/policies', async (c, s, form) => {
    const a = await callApi(c, s, 'POST', '/v1/policies/versions', {
      policies: form.policies ?? '',
      ...(form.comment ? { comment: form.comment } : {}),
    });
    const shown = outcome(a, 201, (a) => `Version ${a.body.version} published (not active until activated).`);
    return policiesPage(c, s, a.status === 201 ? shown : { ...shown, draft: form.policies });
  });
  act('/dashboard/policies/:version/activate', async (c, s) => {
    const version = encodeURIComponent(param(c, 'version'));
    const a = await callApi(c, s, 'POST', `/v1/policies/versions/${version}/activate`);
    return policiesPage(
      c,
      s,
      outcome(a, 200, (a) => `Version ${a.body.active_version} is active.`),
    );
  });
}
