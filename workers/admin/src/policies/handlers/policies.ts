/**
 * `/v1/policies`: the policy store, through the policy Worker's own API over the POLICY binding with the operator's
 * credential (it authorizes again with its active version, and validates Cedar there: one copy of the logic). The
 * diff of two versions is computed here from the two versions it returns.
 */
import { z } from '@hono/zod-openapi';
import { identityOf } from '../../../../../shared/app.js';
import { type AdminApi, adminRoute, audit, forward } from '../../api.js';
import { diffText } from '../domain/diff.js';

const Version = z.coerce.number().int().min(1).max(999_999_999);
const VersionParam = z.object({
  version: Version.openapi({ param: { name: 'version', in: 'path' }, type: 'integer' }),
});

const VersionSummary = z
  .object({ version: z.number().int(), active: z.boolean(), checksum: z.string(), comment: z.string().nullable() })
  .passthrough()
  .openapi('PolicyVersionSummary');

const PolicyVersion = z
  .object({
    policy_set: z.string(),
    version: z.number().int(),
    policies: z.string(),
    schema: z.string(),
    checksum: z.string(),
  })
  .passthrough()
  .openapi('PolicyVersion');

const Entity = z
  .object({
    uid: z.object({ type: z.string(), id: z.string() }),
    attrs: z.record(z.string(), z.unknown()).optional(),
    parents: z.array(z.object({ type: z.string(), id: z.string() })).optional(),
  })
  .passthrough()
  .openapi('PolicyEntity');

const EntityParams = z.object({
  type: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: 'type', in: 'path' } }),
  id: z
    .string()
    .min(1)
    .max(512)
    .openapi({ param: { name: 'id', in: 'path' } }),
});

const json = (description: string, schema: z.ZodType) => ({
  description,
  content: { 'application/json': { schema } },
});

const DiffLine = z.object({ op: z.enum([' ', '+', '-']), line: z.string() });
const TextDiff = z.object({ added: z.number().int(), removed: z.number().int(), lines: z.array(DiffLine) });

export function registerPolicyRoutes(api: AdminApi): void {
  api.openapi(
    adminRoute('Admin_policy_read', 'policy', {
      method: 'get',
      path: '/v1/policies/versions',
      tags: ['policies'],
      summary: 'List policy versions',
      responses: {
        200: json(
          'Versions of the policy set',
          z
            .object({
              policy_set: z.string(),
              active_version: z.number().int().nullable(),
              versions: z.array(VersionSummary),
            })
            .passthrough(),
        ),
      },
    }),
    (c) => forward(c, c.get('services').policy, '/v1/policies/versions'),
  );

  api.openapi(
    adminRoute('Admin_policy_read', 'policy', {
      method: 'get',
      path: '/v1/policies/active',
      tags: ['policies'],
      summary: 'Read the active version',
      responses: { 200: json('The active version', PolicyVersion) },
    }),
    (c) => forward(c, c.get('services').policy, '/v1/policies/active'),
  );

  api.openapi(
    adminRoute('Admin_policy_read', 'policy', {
      method: 'get',
      path: '/v1/policies/versions/{version}',
      tags: ['policies'],
      summary: 'Read one version',
      request: { params: VersionParam },
      responses: { 200: json('The version', PolicyVersion) },
    }),
    (c) => forward(c, c.get('services').policy, `/v1/policies/versions/${c.req.valid('param').version}`),
  );

  api.openapi(
    adminRoute('Admin_policy_publish', 'policy', {
      method: 'post',
      path: '/v1/policies/versions',
      tags: ['policies'],
      summary: 'Publish a new version (validated by Cedar against the schema; 400 with its messages)',
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z
                .object({
                  policies: z
                    .string()
                    .min(1)
                    .max(512 * 1024),
                  schema: z
                    .string()
                    .max(512 * 1024)
                    .optional(),
                  comment: z.string().max(1000).optional(),
                  activate: z.boolean().optional().describe('Also activate it (needs Admin_policy_activate too)'),
                })
                .strict(),
            },
          },
        },
      },
      responses: { 201: json('The published version', z.object({ version: z.number().int() }).passthrough()) },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const res = await forward(c, c.get('services').policy, '/v1/policies/versions', { body });
      if (res.status === 201) {
        const { version } = (await res.clone().json()) as { version: number };
        audit(c, { version, activate: body.activate ?? false, comment: body.comment });
      }
      return res;
    },
  );

  api.openapi(
    adminRoute('Admin_policy_activate', 'policy', {
      method: 'post',
      path: '/v1/policies/versions/{version}/activate',
      tags: ['policies'],
      summary: 'Activate a version (an older one: roll back)',
      request: { params: VersionParam },
      responses: {
        200: json(
          'The activation',
          z.object({ active_version: z.number().int(), previous_version: z.number().int().nullable() }).passthrough(),
        ),
      },
    }),
    (c) => {
      const { version } = c.req.valid('param');
      return forward(c, c.get('services').policy, `/v1/policies/versions/${version}/activate`, {
        audit: { version },
      });
    },
  );

  api.openapi(
    adminRoute('Admin_policy_read', 'policy', {
      method: 'get',
      path: '/v1/policies/diff',
      tags: ['policies'],
      summary: 'Diff two versions (policies and schema)',
      request: { query: z.object({ from: Version, to: Version }) },
      responses: {
        200: json(
          'Line diff of the policies and of the schema',
          z.object({ from: z.number().int(), to: z.number().int(), policies: TextDiff, schema: TextDiff }),
        ),
      },
    }),
    async (c) => {
      const { from, to } = c.req.valid('query');
      const { policy } = c.get('services');
      const init = { method: 'GET', authorization: c.req.header('authorization'), identity: identityOf(c as never) };
      type V = { policies: string; schema: string };
      const [a, b] = await Promise.all([
        policy.json<V>(`/v1/policies/versions/${from}`, init),
        policy.json<V>(`/v1/policies/versions/${to}`, init),
      ]);
      return c.json(
        { from, to, policies: diffText(a.policies, b.policies), schema: diffText(a.schema, b.schema) },
        200,
      );
    },
  );

  api.openapi(
    adminRoute('Admin_entities_read', 'policy', {
      method: 'get',
      path: '/v1/policies/entities',
      tags: ['policies'],
      summary: 'List the stored Cedar entities, in (type, id) order',
      request: {
        query: z.object({
          type: z.string().max(128).optional(),
          after_type: z.string().max(128).optional(),
          after_id: z.string().max(512).optional(),
          limit: z.coerce.number().int().min(1).max(1000).optional(),
        }),
      },
      responses: { 200: json('Stored entities', z.object({ entities: z.array(Entity) }).passthrough()) },
    }),
    (c) => {
      const query = new URLSearchParams();
      for (const [k, v] of Object.entries(c.req.valid('query'))) if (v !== undefined) query.set(k, String(v));
      const qs = query.toString();
      return forward(c, c.get('services').policy, `/v1/entities${qs ? `?${qs}` : ''}`);
    },
  );

  api.openapi(
    adminRoute('Admin_entities_write', 'policy', {
      method: 'put',
      path: '/v1/policies/entities/{type}/{id}',
      tags: ['policies'],
      summary: 'Store an entity (attributes and parents)',
      request: {
        params: EntityParams,
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z
                .object({
                  attrs: z.record(z.string(), z.unknown()).optional(),
                  parents: z.array(z.object({ type: z.string(), id: z.string() })).optional(),
                })
                .strict(),
            },
          },
        },
      },
      responses: { 200: json('The stored entity', Entity) },
    }),
    (c) => {
      const { type, id } = c.req.valid('param');
      return forward(
        c,
        c.get('services').policy,
        `/v1/entities/${encodeURIComponent(type)}/${encodeURIComponent(id)}`,
        {
          body: c.req.valid('json'),
          audit: { entity: `${type}::"${id}"` },
        },
      );
    },
  );

  api.openapi(
    adminRoute('Admin_entities_write', 'policy', {
      method: 'delete',
      path: '/v1/policies/entities/{type}/{id}',
      tags: ['policies'],
      summary: 'Delete a stored entity',
      request: { params: EntityParams },
      responses: { 204: { description: 'Deleted' } },
    }),
    (c) => {
      const { type, id } = c.req.valid('param');
      return forward(
        c,
        c.get('services').policy,
        `/v1/entities/${encodeURIComponent(type)}/${encodeURIComponent(id)}`,
        {
          audit: { entity: `${type}::"${id}"` },
        },
      );
    },
  );
}
