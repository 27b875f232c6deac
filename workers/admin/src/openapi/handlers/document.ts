/**
 * `GET /openapi.json`: the OpenAPI 3.1 document. The admin API's paths are generated from its route schemas (the
 * same schemas validate requests); the other Workers' public APIs are declared by hand here, each operation with
 * the server it lives on: the OAuth endpoints (auth Worker), the decision API (policy Worker), and the operational
 * routes every Worker serves. The monitor Worker's API is behind /v1 (alerts, audit, webhooks). The dashboard's
 * pages (HTML, signed-in operators only, forms with a CSRF token) are listed too, so the document has every route.
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ADMIN_API_ACTIONS } from '../../actions.js';
import { type AdminApi, Problem } from '../../api.js';

const SERVERS = {
  admin: { url: '/', description: 'admin Worker' },
  auth: {
    url: '{auth}',
    description: 'auth Worker (OAuth 2.0 authorization server)',
    variables: { auth: { default: 'http://127.0.0.1:8080' } },
  },
  policy: {
    url: '{policy}',
    description: 'policy Worker (Cedar decisions)',
    variables: { policy: { default: 'http://127.0.0.1:8081' } },
  },
};

const OAuthError = z
  .object({ error: z.string(), error_description: z.string().optional() })
  .openapi('OAuthError', { description: 'RFC 6749 §5.2 error' });

const oauthError = (description: string) => ({ description, content: { 'application/json': { schema: OAuthError } } });
const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: Problem } },
});
const anyJson = (description: string) => ({
  description,
  content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } },
});

function declareOperational(api: AdminApi): void {
  const { openAPIRegistry: r } = api;
  r.registerPath({
    method: 'get',
    path: '/health',
    tags: ['operations'],
    summary: 'Liveness (no I/O)',
    responses: { 200: anyJson('Alive') },
  });
  r.registerPath({
    method: 'get',
    path: '/ready',
    tags: ['operations'],
    summary: 'Readiness: configuration, Postgres and Redis',
    responses: { 200: anyJson('Ready'), 503: anyJson('Not ready (names what failed)') },
  });
  r.registerPath({
    method: 'get',
    path: '/metrics',
    tags: ['operations'],
    summary: 'Prometheus metrics (bearer METRICS_TOKEN when configured)',
    responses: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } } },
  });
  r.registerPath({
    method: 'get',
    path: '/openapi.json',
    tags: ['operations'],
    summary: 'This document',
    responses: { 200: anyJson('OpenAPI 3.1 document') },
  });
}

/** The dashboard's pages and forms (dashboard/handlers/, one module per area): HTML for browsers, not an API. */
const DASHBOARD_ROUTES: [method: 'get' | 'post', path: string, summary: string][] = [
  ['get', '/dashboard', 'Overview: tokens issued, failed authentications, denied requests, open alerts, keys'],
  ['get', '/dashboard/login', 'Start the OpenID Connect sign-in (302 to the auth Worker, PKCE S256, scope with admin)'],
  ['get', '/dashboard/callback', 'The sign-in callback (code, state, iss; no second factor: where to enrol one)'],
  ['post', '/dashboard/logout', 'Sign out (revokes the session token)'],
  ['get', '/dashboard/clients', 'Clients'],
  ['post', '/dashboard/clients', 'Create a client (its secret shown in this answer only)'],
  ['post', '/dashboard/clients/{id}/secret', "Rotate a client's secret (the new one shown in this answer only)"],
  ['get', '/dashboard/clients/{id}', "A client's page"],
  ['post', '/dashboard/clients/{id}/update', 'Update a client (name, scopes, first-party)'],
  ['post', '/dashboard/clients/{id}/delete', 'Delete a client'],
  ['post', '/dashboard/clients/{id}/disable', 'Disable a client'],
  ['post', '/dashboard/clients/{id}/enable', 'Enable a client'],
  ['get', '/dashboard/users', 'Users'],
  ['get', '/dashboard/users/{id}', 'A user: sessions, second factors, operator access'],
  ['post', '/dashboard/users/{id}/disable', 'Disable a user'],
  ['post', '/dashboard/users/{id}/enable', 'Enable a user'],
  ['post', '/dashboard/users/{id}/sessions/revoke', "Revoke all the user's sessions"],
  ['post', '/dashboard/users/{id}/password-reset', 'Set a one-time password reset'],
  ['post', '/dashboard/users', 'Create a user'],
  ['post', '/dashboard/users/{id}/operator', "Set the user's operator roles"],
  ['post', '/dashboard/users/{id}/operator/revoke', "Revoke the user's operator access"],
  ['post', '/dashboard/users/{id}/sessions/{handle}/revoke', 'Revoke one session'],
  ['get', '/dashboard/keys', 'Signing keys'],
  ['post', '/dashboard/keys/rotate', 'Rotate signing keys'],
  ['post', '/dashboard/keys/emergency-rotate', 'Emergency rotation (with a reason)'],
  ['get', '/dashboard/policies', 'Policy versions and diff'],
  ['post', '/dashboard/policies', 'Publish a policy version'],
  ['post', '/dashboard/policies/{version}/activate', 'Activate (or roll back to) a version'],
  ['get', '/dashboard/entities', 'Policy entities'],
  ['post', '/dashboard/entities', 'Store a policy entity'],
  ['post', '/dashboard/entities/{type}/{id}/delete', 'Delete a policy entity'],
  ['get', '/dashboard/alerts', 'Alerts'],
  ['post', '/dashboard/alerts/{id}/acknowledge', 'Acknowledge an alert'],
  ['post', '/dashboard/alerts/{id}/resolve', 'Resolve an alert'],
  ['get', '/dashboard/audit', 'Audit log'],
];

function declareDashboard(api: AdminApi): void {
  for (const [method, path, summary] of DASHBOARD_ROUTES) {
    api.openAPIRegistry.registerPath({
      method,
      path,
      tags: ['dashboard'],
      summary,
      description:
        'Server-rendered HTML. Signed-in operators only (session cookie); a POST needs the form field csrf_token.',
      request: {
        params: z.object(
          Object.fromEntries(
            [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => [
              name,
              z.string().openapi({ param: { name, in: 'path' } }),
            ]),
          ),
        ),
      },
      responses: { 200: { description: 'HTML page', content: { 'text/html': { schema: z.string() } } } },
    });
  }
}

function declareOAuth(api: AdminApi): void {
  const { openAPIRegistry: r } = api;
  const servers = [SERVERS.auth];
  const form = (schema: z.ZodType) => ({
    required: true,
    content: { 'application/x-www-form-urlencoded': { schema } },
  });
  for (const [path, summary] of [
    ['/.well-known/oauth-authorization-server', 'RFC 8414 authorization server metadata'],
    ['/.well-known/openid-configuration', 'OpenID Connect discovery'],
    ['/.well-known/jwks.json', 'JSON Web Key Set (RFC 7517)'],
  ] as const) {
    r.registerPath({
      method: 'get',
      path,
      servers,
      tags: ['oauth'],
      summary,
      responses: { 200: anyJson('The document') },
    });
  }
  r.registerPath({
    method: 'post',
    path: '/oauth/token',
    servers,
    tags: ['oauth'],
    summary: 'Token endpoint (RFC 6749 §3.2; client_credentials; RFC 8707 resource)',
    security: [{ clientBasic: [] }, {}],
    request: {
      body: form(
        z.object({
          grant_type: z.literal('client_credentials'),
          scope: z.string().optional(),
          resource: z.string().optional(),
          client_id: z.string().optional(),
          client_secret: z.string().optional(),
        }),
      ),
    },
    responses: {
      200: anyJson('Access token response (RFC 6749 §5.1)'),
      400: oauthError('invalid_request, invalid_scope, invalid_target, unsupported_grant_type'),
      401: oauthError('invalid_client'),
      429: oauthError('Rate limited'),
      503: oauthError('temporarily_unavailable'),
    },
  });
  // Introspection and revocation take the same form: a token and a hint of its type.
  for (const [path, summary, ok] of [
    ['/oauth/introspect', 'Token introspection (RFC 7662)', anyJson('Introspection response')],
    ['/oauth/revoke', 'Token revocation (RFC 7009)', { description: 'Revoked (or unknown)' }],
  ] as const) {
    r.registerPath({
      method: 'post',
      path,
      servers,
      tags: ['oauth'],
      summary,
      security: [{ clientBasic: [] }],
      request: { body: form(z.object({ token: z.string(), token_type_hint: z.string().optional() })) },
      responses: { 200: ok, 401: oauthError('invalid_client') },
    });
  }
  r.registerPath({
    method: 'post',
    path: '/oauth/register',
    servers,
    tags: ['oauth'],
    summary: 'Dynamic client registration (RFC 7591); bearer: the initial access token',
    security: [{ initialAccessToken: [] }, {}],
    request: {
      body: { required: true, content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } },
    },
    responses: { 201: anyJson('Client information response'), 400: oauthError('invalid_client_metadata') },
  });
  const clientId = z.object({ client_id: z.string().openapi({ param: { name: 'client_id', in: 'path' } }) });
  for (const method of ['get', 'put', 'delete'] as const) {
    r.registerPath({
      method,
      path: '/oauth/register/{client_id}',
      servers,
      tags: ['oauth'],
      summary: `Client configuration (RFC 7592): ${method.toUpperCase()}`,
      security: [{ registrationAccessToken: [] }],
      request: {
        params: clientId,
        ...(method === 'put'
          ? { body: { required: true, content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } } }
          : {}),
      },
      responses: {
        ...(method === 'delete' ? { 204: { description: 'Deleted' } } : { 200: anyJson('Client information') }),
        401: oauthError('invalid_token'),
      },
    });
  }
}

function declarePolicy(api: AdminApi): void {
  const { openAPIRegistry: r } = api;
  const servers = [SERVERS.policy];
  const ref = z.object({ type: z.string(), id: z.string() });
  const AuthorizeRequest = z
    .object({
      principal: ref,
      action: z.union([z.string(), ref]),
      resource: ref,
      context: z.record(z.string(), z.unknown()).optional(),
      entities: z.array(z.record(z.string(), z.unknown())).optional(),
      request_id: z.string().optional(),
    })
    .openapi('AuthorizeRequest');
  const Decision = z
    .object({
      decision: z.enum(['Allow', 'Deny']),
      request_id: z.string(),
      policy_version: z.number().int(),
      reasons: z.array(z.string()),
      errors: z.array(z.object({ policy_id: z.string().nullable(), message: z.string() })),
    })
    .openapi('Decision');
  r.registerPath({
    method: 'post',
    path: '/v1/authorize',
    servers,
    tags: ['policy'],
    summary: 'One Cedar decision (bearer POLICY_API_TOKEN)',
    security: [{ policyApiToken: [] }],
    request: { body: { required: true, content: { 'application/json': { schema: AuthorizeRequest } } } },
    responses: {
      200: { description: 'The decision', content: { 'application/json': { schema: Decision } } },
      400: problem('Invalid request'),
      401: problem('No or wrong decision API token'),
      503: problem('No policy can be loaded'),
    },
  });
  r.registerPath({
    method: 'post',
    path: '/v1/authorize/batch',
    servers,
    tags: ['policy'],
    summary: 'Several decisions with one policy version (bearer POLICY_API_TOKEN)',
    security: [{ policyApiToken: [] }],
    request: {
      body: {
        required: true,
        content: { 'application/json': { schema: z.object({ requests: z.array(AuthorizeRequest) }) } },
      },
    },
    responses: {
      200: {
        description: 'The decisions, in order',
        content: { 'application/json': { schema: z.object({ decisions: z.array(Decision) }).passthrough() } },
      },
      400: problem('Invalid request'),
      401: problem('No or wrong decision API token'),
      413: problem('Batch too large'),
      503: problem('No policy can be loaded'),
    },
  });
}

/** The document, generated once per isolate. */
export function buildOpenApiDocument(api: AdminApi) {
  api.openAPIRegistry.registerComponent('securitySchemes', 'adminBearer', {
    type: 'http',
    scheme: 'bearer',
    description: `Admin credential or operator API token (scoped to actions among: ${ADMIN_API_ACTIONS.join(', ')})`,
  });
  api.openAPIRegistry.registerComponent('securitySchemes', 'clientBasic', { type: 'http', scheme: 'basic' });
  api.openAPIRegistry.registerComponent('securitySchemes', 'initialAccessToken', { type: 'http', scheme: 'bearer' });
  api.openAPIRegistry.registerComponent('securitySchemes', 'registrationAccessToken', {
    type: 'http',
    scheme: 'bearer',
  });
  api.openAPIRegistry.registerComponent('securitySchemes', 'policyApiToken', { type: 'http', scheme: 'bearer' });
  declareOperational(api);
  declareOAuth(api);
  declarePolicy(api);
  declareDashboard(api);
  return api.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'Edge security platform API',
      version: '1.0.0',
      description:
        'The admin API (admin Worker, /v1; every route authenticated and authorized by the policy Worker with the action in x-admin-action), the OAuth endpoints (auth Worker) and the decision API (policy Worker). Errors are RFC 9457 problem+json, except on the OAuth endpoints (RFC 6749 §5.2).',
    },
    servers: [SERVERS.admin],
  });
}

export function openApiDocument(api: AdminApi) {
  let doc: ReturnType<typeof buildOpenApiDocument> | undefined;
  return (c: Context) => {
    doc ??= buildOpenApiDocument(api);
    return c.json(doc, 200, { 'cache-control': 'public, max-age=300' });
  };
}
