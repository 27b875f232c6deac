/**
 * `/v1/policies`: the policy store, through the policy Worker's own API over the POLICY binding with the operator's
 * credential (it authorizes again with its active version, and validates Cedar there: one copy of the logic). The
 * diff of two versions is computed here from the two versions it returns.
 */
import { z } from '@hono/zod-openapi';
import { identityOf } from '../../../../../shared/app.js';
import { type AdminApi, adminProxy, adminRoute } from '../../api.js';
import { json } from '../../schemas.js';
import { diffText } from '../domain/diff.js';

const Version = z.coerce.number().int().min(1).max(999_999_999);

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

const DiffLine = z.object({ op: z.enum([' ', '+', '-']), line: z.string() });
const TextDiff = z.object({ added: z.number().int(), removed: z.number().int(), lines: z.array(DiffLine) });

const Publish = z
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
  .strict();

const EntityWrite = z
  .object({
    attrs: z.record(z.string(), z.unknown()).optional(),
    parents: z.array(z.object({ type: z.string(), id: z.string() })).optional(),
  })
  .strict();

export function registerPolicyRoutes(api: AdminApi): void {
  const route = adminProxy(api, {
    area: 'policy',
    tag: 'policies',
    upstream: 'policy',
    params: {
      version: Version.openapi({ type: 'integer' }),
      type: z.string().min(1).max(128),
      id: z.string().min(1).max(512),
    },
    target: ({ version, type, id }) => (type === undefined ? { version } : { entity: `${type}::"${id}"` }),
  });
  route('Admin_policy_read', 'get', '/v1/policies/versions', {
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
  });
  route('Admin_policy_read', 'get', '/v1/policies/active', {
    summary: 'Read the active version',
    responses: { 200: json('The active version', PolicyVersion) },
  });
  route('Admin_policy_read', 'get', '/v1/policies/versions/{version}', {
    summary: 'Read one version',
    responses: { 200: json('The version', PolicyVersion) },
  });
  route('Admin_policy_publish', 'post', '/v1/policies/versions', {
    summary: 'Publish a new version (validated by Cedar against the schema; 400 with its messages)',
    body: Publish,
    responses: { 201: json('The published version', z.object({ version: z.number().int() }).passthrough()) },
    audit: ({ body }, { version }) => ({ version, activate: body.activate ?? false, comment: body.comment }),
  });
  route('Admin_policy_activate', 'post', '/v1/policies/versions/{version}/activate', {
    summary: 'Activate a version (an older one: roll back)',
    responses: {
      200: json(
        'The activation',
        z.object({ active_version: z.number().int(), previous_version: z.number().int().nullable() }).passthrough(),
      ),
    },
  });

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

  route('Admin_entities_read', 'get', '/v1/policies/entities', {
    summary: 'List the stored Cedar entities, in (type, id) order',
    query: z.object({
      type: z.string().max(128).optional(),
      after_type: z.string().max(128).optional(),
      after_id: z.string().max(512).optional(),
      limit: z.coerce.number().int().min(1).max(1000).optional(),
    }),
    responses: { 200: json('Stored entities', z.object({ entities: z.array(Entity) }).passthrough()) },
    to: '/v1/entities',
  });
  route('Admin_entities_write', 'put', '/v1/policies/entities/{type}/{id}', {
    summary: 'Store an entity (attributes and parents)',
    body: EntityWrite,
    responses: { 200: json('The stored entity', Entity) },
    to: '/v1/entities/{type}/{id}',
  });
  route('Admin_entities_write', 'delete', '/v1/policies/entities/{type}/{id}', {
    summary: 'Delete a stored entity',
    responses: { 204: { description: 'Deleted' } },
    to: '/v1/entities/{type}/{id}',
  });
}
