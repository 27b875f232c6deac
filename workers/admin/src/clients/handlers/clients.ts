/**
 * `/v1/clients`: OAuth client administration. The auth Worker owns clients, their storage and their cache
 * invalidation (workers/auth/src/clients/handlers/admin-clients.ts); these routes validate, authorize and audit,
 * then call it over the AUTH binding with the operator's credential.
 */
import { z } from '@hono/zod-openapi';
import { type AdminApi, adminProxy, type ProxyInput } from '../../api.js';
import { json, page, searchQuery } from '../../schemas.js';

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

/** A create's body (every field optional) or an update's (null also removes an optional field). */
const clientInput = (name: string, field: (v: z.ZodType) => z.ZodType) =>
  z
    .object({
      ...Object.fromEntries(Object.entries(metadataFields).map(([k, v]) => [k, field(v)])),
      rate_limit: RateLimit.nullable().optional(),
      first_party: z.boolean().optional(),
    })
    .strict()
    .openapi(name);

const NewClient = clientInput('NewClient', (v) => v.optional());
const ClientUpdate = clientInput('ClientUpdate', (v) => v.nullable().optional());

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

/** A change's audit names the fields it set (not their values). */
const fieldsOf = ({ body }: ProxyInput) => ({ fields: Object.keys(body).sort() });

export function registerClientRoutes(api: AdminApi): void {
  const route = adminProxy(api, {
    area: 'clients',
    tag: 'clients',
    upstream: 'auth',
    prefix: '/admin',
    params: { client_id: z.string().min(1).max(256) },
    answer: json('The client', Client),
    target: ({ client_id }) => ({ client_id }),
  });
  route('Admin_clients_read', 'get', '/v1/clients', {
    summary: 'List and search clients',
    query: searchQuery('Substring of the client id or name', ['active', 'disabled', 'deleted']),
    responses: { 200: json('A page of clients, newest first', page('clients', Client)) },
  });
  route('Admin_clients_create', 'post', '/v1/clients', {
    summary: 'Create a client (its secret is shown once)',
    body: NewClient,
    responses: { 201: json('The client and its secret', WithSecret) },
    audit: (input, created) => ({ client_id: created.client_id, ...fieldsOf(input) }),
  });
  route('Admin_clients_read', 'get', '/v1/clients/{client_id}', { summary: 'Read a client' });
  route('Admin_clients_update', 'patch', '/v1/clients/{client_id}', {
    summary: 'Update metadata, approved scopes and resources, rate limit, first-party flag',
    description:
      'Given fields replace the current ones (null removes an optional field, and the rate limit); the approved ceiling becomes what is then registered.',
    body: ClientUpdate,
    responses: { 200: json('The updated client', Client) },
    audit: fieldsOf,
  });
  route('Admin_clients_rotate_secret', 'post', '/v1/clients/{client_id}/secret', {
    summary: 'Rotate the client secret (the new one is shown once; the old one stops at once)',
    responses: { 200: json('The client and its new secret', WithSecret) },
  });
  route('Admin_clients_disable', 'post', '/v1/clients/{client_id}/disable', {
    summary: 'Disable a client (it authenticates like a deleted one until enabled)',
  });
  route('Admin_clients_disable', 'post', '/v1/clients/{client_id}/enable', { summary: 'Enable a disabled client' });
  route('Admin_clients_delete', 'delete', '/v1/clients/{client_id}', {
    summary: 'Delete a client (a tombstone keeps its id from being reissued)',
    responses: { 204: { description: 'Deleted' } },
  });
}
