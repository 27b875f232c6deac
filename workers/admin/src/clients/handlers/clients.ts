/**
 * `/v1/clients`: OAuth client administration. The auth Worker owns clients, their storage and their cache
 * invalidation (workers/auth/src/clients/handlers/admin-clients.ts); these routes validate, authorize and audit,
 * then call it over the AUTH binding with the operator's credential.
 */
import { z } from '@hono/zod-openapi';
import { type AdminApi, adminRoute, audit, forward } from '../../api.js';

const RateLimit = z
  .object({ capacity: z.number().int().min(1).max(1_000_000), refill_per_second: z.number().positive().max(1_000_000) })
  .openapi('ClientRateLimit');

const metadataFields = {
  client_name: z.string().max(256),
  redirect_uris: z.array(z.string().url()).max(20),
  grant_types: z.array(z.literal('client_credentials')).min(1),
  token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post']),
  scope: z.string().max(2048).describe('Space-separated scopes; also the approved ceiling'),
  allowed_resources: z.array(z.string().url()).max(20).describe('RFC 8707 resources; also the approved ceiling'),
  access_token_lifetime: z.number().int().min(30),
  client_uri: z.string().url(),
  logo_uri: z.string().url(),
  tos_uri: z.string().url(),
  policy_uri: z.string().url(),
  contacts: z.array(z.string().max(256)).max(20),
  software_id: z.string().max(256),
  software_version: z.string().max(256),
};

const NewClient = z
  .object({
    ...Object.fromEntries(Object.entries(metadataFields).map(([k, v]) => [k, v.optional()])),
    rate_limit: RateLimit.nullable().optional(),
    first_party: z.boolean().optional(),
  })
  .strict()
  .openapi('NewClient');

const ClientUpdate = z
  .object({
    ...Object.fromEntries(Object.entries(metadataFields).map(([k, v]) => [k, v.nullable().optional()])),
    rate_limit: RateLimit.nullable().optional(),
    first_party: z.boolean().optional(),
  })
  .strict()
  .openapi('ClientUpdate');

const Client = z
  .object({
    client_id: z.string(),
    status: z.enum(['active', 'disabled', 'deleted']),
    first_party: z.boolean(),
    client_name: z.string().optional(),
    scope: z.string(),
    allowed_resources: z.array(z.string()),
    grant_types: z.array(z.string()),
    redirect_uris: z.array(z.string()),
    token_endpoint_auth_method: z.string(),
    rate_limit: RateLimit.nullable(),
    approved: z.object({ scope: z.string(), resources: z.array(z.string()), grant_types: z.array(z.string()) }),
    client_id_issued_at: z.number().int(),
    version: z.number().int(),
  })
  .passthrough()
  .openapi('Client');

const WithSecret = Client.extend({ client_secret: z.string().describe('Shown in this answer only') });

const ClientId = z.object({
  client_id: z
    .string()
    .min(1)
    .max(256)
    .openapi({ param: { name: 'client_id', in: 'path' } }),
});

const json = (description: string, schema: z.ZodType) => ({
  description,
  content: { 'application/json': { schema } },
});

const path = (id: string, rest = '') => `/admin/clients/${encodeURIComponent(id)}${rest}`;

export function registerClientRoutes(api: AdminApi): void {
  api.openapi(
    adminRoute('Admin_clients_read', 'clients', {
      method: 'get',
      path: '/v1/clients',
      tags: ['clients'],
      summary: 'List and search clients',
      request: {
        query: z.object({
          search: z.string().max(256).optional().describe('Substring of the client id or name'),
          status: z.enum(['active', 'disabled', 'deleted']).optional(),
          limit: z.coerce.number().int().min(1).max(200).optional(),
          offset: z.coerce.number().int().min(0).max(1_000_000).optional(),
        }),
      },
      responses: {
        200: json(
          'A page of clients, newest first',
          z.object({ clients: z.array(Client), limit: z.number(), offset: z.number() }),
        ),
      },
    }),
    (c) => {
      const query = new URLSearchParams();
      for (const [k, v] of Object.entries(c.req.valid('query'))) if (v !== undefined) query.set(k, String(v));
      const qs = query.toString();
      return forward(c, c.get('services').auth, `/admin/clients${qs ? `?${qs}` : ''}`);
    },
  );

  api.openapi(
    adminRoute('Admin_clients_create', 'clients', {
      method: 'post',
      path: '/v1/clients',
      tags: ['clients'],
      summary: 'Create a client (its secret is shown once)',
      request: { body: { required: true, content: { 'application/json': { schema: NewClient } } } },
      responses: { 201: json('The client and its secret', WithSecret) },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const res = await forward(c, c.get('services').auth, '/admin/clients', { body });
      if (res.status === 201) {
        const created = (await res.clone().json()) as { client_id: string };
        audit(c, { client_id: created.client_id, fields: Object.keys(body).sort() });
      }
      return res;
    },
  );

  api.openapi(
    adminRoute('Admin_clients_read', 'clients', {
      method: 'get',
      path: '/v1/clients/{client_id}',
      tags: ['clients'],
      summary: 'Read a client',
      request: { params: ClientId },
      responses: { 200: json('The client', Client) },
    }),
    (c) => forward(c, c.get('services').auth, path(c.req.valid('param').client_id)),
  );

  api.openapi(
    adminRoute('Admin_clients_update', 'clients', {
      method: 'patch',
      path: '/v1/clients/{client_id}',
      tags: ['clients'],
      summary: 'Update metadata, approved scopes and resources, rate limit, first-party flag',
      description:
        'Given fields replace the current ones (null removes an optional field, and the rate limit); the approved ceiling becomes what is then registered.',
      request: {
        params: ClientId,
        body: { required: true, content: { 'application/json': { schema: ClientUpdate } } },
      },
      responses: { 200: json('The updated client', Client) },
    }),
    (c) => {
      const { client_id } = c.req.valid('param');
      const body = c.req.valid('json');
      return forward(c, c.get('services').auth, path(client_id), {
        body,
        audit: { client_id, fields: Object.keys(body).sort() },
      });
    },
  );

  api.openapi(
    adminRoute('Admin_clients_rotate_secret', 'clients', {
      method: 'post',
      path: '/v1/clients/{client_id}/secret',
      tags: ['clients'],
      summary: 'Rotate the client secret (the new one is shown once; the old one stops at once)',
      request: { params: ClientId },
      responses: { 200: json('The client and its new secret', WithSecret) },
    }),
    (c) => {
      const { client_id } = c.req.valid('param');
      return forward(c, c.get('services').auth, path(client_id, '/secret'), { audit: { client_id } });
    },
  );

  for (const [verb, summary] of [
    ['disable', 'Disable a client (it authenticates like a deleted one until enabled)'],
    ['enable', 'Enable a disabled client'],
  ] as const) {
    api.openapi(
      adminRoute('Admin_clients_disable', 'clients', {
        method: 'post',
        path: `/v1/clients/{client_id}/${verb}`,
        tags: ['clients'],
        summary,
        request: { params: ClientId },
        responses: { 200: json('The client', Client) },
      }),
      (c) => {
        const { client_id } = c.req.valid('param');
        return forward(c, c.get('services').auth, path(client_id, `/${verb}`), { audit: { client_id } });
      },
    );
  }

  api.openapi(
    adminRoute('Admin_clients_delete', 'clients', {
      method: 'delete',
      path: '/v1/clients/{client_id}',
      tags: ['clients'],
      summary: 'Delete a client (a tombstone keeps its id from being reissued)',
      request: { params: ClientId },
      responses: { 204: { description: 'Deleted' } },
    }),
    (c) => {
      const { client_id } = c.req.valid('param');
      return forward(c, c.get('services').auth, path(client_id), { audit: { client_id } });
    },
  );
}
