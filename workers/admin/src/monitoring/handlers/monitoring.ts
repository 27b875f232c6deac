/**
 * `/v1/alerts`, `/v1/audit`, `/v1/webhooks`: the monitor Worker's API (workers/monitor: alerts, the audit log,
 * webhook endpoints) behind the admin API. The monitor owns the data and the rules (alert transitions, webhook URL
 * checks, sealed signing secrets); these routes validate, authorize and audit, then call it over the MONITOR binding
 * with the operator's credential, which the monitor authorizes again with the same actions.
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { type AdminApi, type AdminApiEnv, adminRoute, audit, forward } from '../../api.js';

const Alert = z
  .object({
    id: z.string().uuid(),
    detector: z.string(),
    kind: z.string(),
    severity: z.enum(['low', 'medium', 'high', 'critical']),
    status: z.enum(['open', 'acknowledged', 'resolved']),
    summary: z.string(),
  })
  .passthrough()
  .openapi('Alert');

const AuditEvent = z
  .object({ event_id: z.string(), type: z.string(), outcome: z.string(), time: z.string() })
  .passthrough()
  .openapi('AuditEvent');

const Webhook = z
  .object({ id: z.string(), url: z.string(), min_severity: z.string(), disabled: z.boolean() })
  .passthrough()
  .openapi('WebhookEndpoint');

const Severity = z.enum(['low', 'medium', 'high', 'critical']);
const Time = z.string().max(64).describe('ISO 8601 time or epoch milliseconds');
const Ident = z.string().max(200);

const WebhookInput = z
  .object({
    url: z.string().url().max(2048),
    description: z.string().max(500).optional(),
    types: z.array(z.string().max(200)).max(50).optional(),
    min_severity: Severity.optional(),
  })
  .strict()
  .openapi('NewWebhookEndpoint');

const WebhookPatch = WebhookInput.partial().extend({ disabled: z.boolean().optional() }).strict();

const Id = z.object({
  id: z
    .string()
    .uuid()
    .openapi({ param: { name: 'id', in: 'path' } }),
});

const json = (description: string, schema: z.ZodType) => ({
  description,
  content: { 'application/json': { schema } },
});

/** The validated query, passed on as a query string. */
function withQuery(path: string, query: Record<string, unknown>): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.set(k, String(v));
  const text = qs.toString();
  return text ? `${path}?${text}` : path;
}

const monitor = (c: Context<AdminApiEnv>) => c.get('services').monitor;

export function registerMonitoringRoutes(api: AdminApi): void {
  api.openapi(
    adminRoute('Admin_alerts_read', 'alerts', {
      method: 'get',
      path: '/v1/alerts',
      tags: ['alerts'],
      summary: 'List and filter alerts',
      request: {
        query: z.object({
          status: z.string().max(64).optional().describe('open, acknowledged, resolved (comma-separated)'),
          severity: z.string().max(64).optional().describe('low, medium, high, critical (comma-separated)'),
          detector: Ident.optional(),
          kind: Ident.optional(),
          since: Time.optional(),
          until: Time.optional(),
          limit: z.coerce.number().int().min(1).max(500).optional(),
        }),
      },
      responses: { 200: json('Alerts, newest first', z.object({ alerts: z.array(Alert) })) },
    }),
    (c) => forward(c, monitor(c), withQuery('/admin/alerts', c.req.valid('query'))),
  );

  api.openapi(
    adminRoute('Admin_alerts_read', 'alerts', {
      method: 'get',
      path: '/v1/alerts/{id}',
      tags: ['alerts'],
      summary: 'Read an alert',
      request: { params: Id },
      responses: { 200: json('The alert', Alert) },
    }),
    (c) => forward(c, monitor(c), `/admin/alerts/${c.req.valid('param').id}`),
  );

  for (const [verb, action] of [
    ['acknowledge', 'Admin_alerts_acknowledge'],
    ['resolve', 'Admin_alerts_resolve'],
  ] as const) {
    api.openapi(
      adminRoute(action, 'alerts', {
        method: 'post',
        path: `/v1/alerts/{id}/${verb}`,
        tags: ['alerts'],
        summary: verb === 'acknowledge' ? 'Acknowledge an open alert' : 'Resolve an alert',
        request: { params: Id },
        responses: { 200: json('The alert', Alert) },
      }),
      (c) => {
        const { id } = c.req.valid('param');
        return forward(c, monitor(c), `/admin/alerts/${id}/${verb}`, { audit: { alert_id: id } });
      },
    );
  }

  api.openapi(
    adminRoute('Admin_events_read', 'events', {
      method: 'get',
      path: '/v1/audit',
      tags: ['audit'],
      summary: 'Query the audit log (security events kept by the monitor)',
      request: {
        query: z.object({
          actor: Ident.optional(),
          client_id: Ident.optional(),
          user_id: Ident.optional(),
          type: Ident.optional(),
          ip: Ident.optional(),
          outcome: z.enum(['success', 'failure', 'denied']).optional(),
          since: Time.optional(),
          until: Time.optional(),
          limit: z.coerce.number().int().min(1).max(500).optional(),
        }),
      },
      responses: { 200: json('Events, newest first', z.object({ events: z.array(AuditEvent) })) },
    }),
    (c) => forward(c, monitor(c), withQuery('/admin/events', c.req.valid('query'))),
  );

  api.openapi(
    adminRoute('Admin_webhooks_read', 'webhooks', {
      method: 'get',
      path: '/v1/webhooks',
      tags: ['webhooks'],
      summary: 'List webhook endpoints',
      responses: { 200: json('Endpoints', z.object({ endpoints: z.array(Webhook) }).passthrough()) },
    }),
    (c) => forward(c, monitor(c), '/admin/webhooks'),
  );

  api.openapi(
    adminRoute('Admin_webhooks_create', 'webhooks', {
      method: 'post',
      path: '/v1/webhooks',
      tags: ['webhooks'],
      summary: 'Register a webhook endpoint (its signing secret is shown once)',
      request: { body: { required: true, content: { 'application/json': { schema: WebhookInput } } } },
      responses: { 201: json('The endpoint and its secret', Webhook.extend({ secret: z.string() })) },
    }),
    async (c) => {
      const res = await forward(c, monitor(c), '/admin/webhooks', { body: c.req.valid('json') });
      if (res.status === 201) {
        const created = (await res.clone().json()) as { id?: string };
        audit(c, { webhook_id: created.id ?? null, url: c.req.valid('json').url });
      }
      return res;
    },
  );

  api.openapi(
    adminRoute('Admin_webhooks_update', 'webhooks', {
      method: 'patch',
      path: '/v1/webhooks/{id}',
      tags: ['webhooks'],
      summary: 'Change or disable a webhook endpoint',
      request: {
        params: Id,
        body: { required: true, content: { 'application/json': { schema: WebhookPatch } } },
      },
      responses: { 200: json('The endpoint', Webhook) },
    }),
    (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      return forward(c, monitor(c), `/admin/webhooks/${id}`, {
        body,
        audit: { webhook_id: id, fields: Object.keys(body).sort() },
      });
    },
  );

  api.openapi(
    adminRoute('Admin_webhooks_delete', 'webhooks', {
      method: 'delete',
      path: '/v1/webhooks/{id}',
      tags: ['webhooks'],
      summary: 'Delete a webhook endpoint',
      request: { params: Id },
      responses: { 204: { description: 'Deleted' } },
    }),
    (c) => {
      const { id } = c.req.valid('param');
      return forward(c, monitor(c), `/admin/webhooks/${id}`, { audit: { webhook_id: id } });
    },
  );
}
