/**
 * Policy entities: the Cedar entities the policy Worker stores (a stored entity wins over one a caller supplies):
 * list, store (attributes as JSON, parents as `Type::id` lines) and delete.
 */
import { html } from '../../../../../shared/html.js';
import type { AdminContext } from '../../services.js';
import { csrfField, dashboardPage } from '../pages/layout.js';
import { type Dashboard, outcome, type PageExtra, param, problemText, send } from './page.js';
import type { DashboardSession } from './session.js';

type Uid = { type: string; id: string };
const uidText = (u: Uid) => `${u.type}::"${u.id}"`;
const entityPath = (type: string, id: string) =>
  `/v1/policies/entities/${encodeURIComponent(type)}/${encodeURIComponent(id)}`;

/** `Type::id` lines (one parent each), or the first line that is not one. */
function parseParents(text: string): Uid[] | string {
  const parents: Uid[] = [];
  for (const line of text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)) {
    const m = /^([A-Za-z_][A-Za-z0-9_:]*?)::"?([^"]+)"?$/.exec(line);
    if (!m) return line;
    parents.push({ type: m[1]!, id: m[2]! });
  }
  return parents;
}

export function registerEntities({ view, act, callApi, frameOf }: Dashboard): void {
  const entitiesPage = async (c: AdminContext, s: DashboardSession, extra: PageExtra = {}) => {
    const list = await callApi(c, s, 'GET', '/v1/policies/entities?limit=500');
    const body = html`<p>Entities the policy Worker keeps for its decisions; a stored entity wins over one a caller supplies. <a href="/dashboard/policies">Policy versions</a></p>
${
  list.status === 200
    ? html`<table><caption>Stored entities</caption><thead><tr><th scope="col">Entity</th><th scope="col">Attributes</th><th scope="col">Parents</th><th scope="col">Actions</th></tr></thead><tbody>${(
        list.body.entities as { uid: Uid; attrs?: unknown; parents?: Uid[] }[]
      ).map(
        (e) =>
          html`<tr><td>${uidText(e.uid)}</td><td><code>${JSON.stringify(e.attrs ?? {})}</code></td><td>${(e.parents ?? []).map(uidText).join(', ') || '-'}</td><td><form method="post" action="/dashboard/entities/${encodeURIComponent(e.uid.type)}/${encodeURIComponent(e.uid.id)}/delete">${csrfField(s.csrf)}<button type="submit" class="danger">Delete<span class="skip"> ${uidText(e.uid)}</span></button></form></td></tr>`,
      )}</tbody></table>`
    : html`<p class="problem">${problemText(list)}</p>`
}
<h2>Store an entity</h2>
<form method="post" action="/dashboard/entities">${csrfField(s.csrf)}
<label for="entity_type">Type</label><input type="text" id="entity_type" name="type" required maxlength="128">
<label for="entity_id">Id</label><input type="text" id="entity_id" name="id" required maxlength="512">
<label for="attrs">Attributes (JSON object)</label><textarea id="attrs" name="attrs">{}</textarea>
<label for="parents">Parents (one Type::id a line)</label><textarea id="parents" name="parents"></textarea>
<button type="submit">Store entity</button></form>`;
    return send(dashboardPage(frameOf(s, 'policies'), { title: 'Policy entities', body, ...extra }));
  };

  view('/dashboard/entities', (c, s) => entitiesPage(c, s));
  act('/dashboard/entities', async (c, s, form) => {
    let attrs: unknown;
    try {
      attrs = JSON.parse(form.attrs || '{}');
    } catch {
      return entitiesPage(c, s, { problem: 'Attributes must be a JSON object.', status: 400 });
    }
    const parents = parseParents(form.parents ?? '');
    if (typeof parents === 'string') return entitiesPage(c, s, { problem: `Not a parent: ${parents}`, status: 400 });
    const a = await callApi(c, s, 'PUT', entityPath(form.type ?? '', form.id ?? ''), { attrs, parents });
    return entitiesPage(c, s, outcome(a, 200, `Stored ${form.type}::"${form.id}".`));
  });
  act('/dashboard/entities/:type/:id/delete', async (c, s) => {
    const [type, id] = [param(c, 'type'), param(c, 'id')];
    const a = await callApi(c, s, 'DELETE', entityPath(type, id));
    return entitiesPage(c, s, outcome(a, 204, `Deleted ${type}::"${id}".`));
  });
}
