/**
 * The OpenAPI 3.1 document of the admin Worker (workers/admin/src/openapi): it validates as OpenAPI 3.1
 * (@readme/openapi-parser), every route the admin app serves is in it with the same method, every admin API
 * operation names its Cedar action, and that action is one the shipped Cedar schema declares.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validate } from '@readme/openapi-parser';
import { describe, expect, it } from 'vitest';
import { ADMIN_API_ACTIONS } from '../../workers/admin/src/actions.js';
import { buildOpenApiDocument } from '../../workers/admin/src/openapi/handlers/document.js';
import { api, app } from '../../workers/admin/src/routes.js';
import { ROOT } from '../../scripts/lib/workers.mjs';

type Doc = { openapi: string; paths: Record<string, Record<string, Record<string, unknown>>> };
const doc = buildOpenApiDocument(api) as unknown as Doc;
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** Hono's `/v1/clients/:client_id` is OpenAPI's `/v1/clients/{client_id}`. */
const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

describe('admin OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('has every route of the app, with its method', () => {
    const routes = app.routes.filter((r) => r.method !== 'ALL' && !r.path.endsWith('*'));
    expect(routes.length).toBeGreaterThan(20);
    const missing = routes
      .filter((r) => !doc.paths[toOpenApiPath(r.path)]?.[r.method.toLowerCase()])
      .map((r) => `${r.method} ${r.path}`);
    expect(missing).toEqual([]);
  });

  it('names a declared Cedar action on every admin API operation, and documents 401/403', () => {
    const schema = readFileSync(join(ROOT, 'workers/policy/policies/default.cedarschema'), 'utf8');
    const operations = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/') && !path.startsWith('/v1/authorize'))
      .flatMap(([path, item]) =>
        METHODS.filter((m) => item[m]).map((m) => ({ path, m, op: item[m] as Record<string, any> })),
      );
    expect(operations.length).toBeGreaterThan(20);
    for (const { path, m, op } of operations) {
      const action = op['x-admin-action'] as string;
      expect(ADMIN_API_ACTIONS, `${m} ${path}`).toContain(action);
      expect(schema, action).toContain(`"${action}"`);
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '403', '503']));
      expect(op.security).toEqual([{ adminBearer: [] }]);
    }
  });

  it('declares the OAuth endpoints and the decision API on their own servers', () => {
    for (const [path, method] of [
      ['/oauth/token', 'post'],
      ['/oauth/introspect', 'post'],
      ['/oauth/revoke', 'post'],
      ['/oauth/register', 'post'],
      ['/oauth/register/{client_id}', 'put'],
      ['/.well-known/jwks.json', 'get'],
      ['/v1/authorize', 'post'],
      ['/v1/authorize/batch', 'post'],
    ] as const) {
      const op = doc.paths[path]?.[method] as { servers?: { url: string }[] } | undefined;
      expect(op, `${method} ${path}`).toBeDefined();
      expect(op?.servers?.[0]?.url).toMatch(/^\{(auth|policy)\}$/);
    }
  });
});
