/**
 * `/v1/alerts`, `/v1/audit`, `/v1/webhooks`: the monitor Worker's API (workers/monitor: alerts, the audit log,
 * webhook endpoints) behind the admin API. The monitor owns the data and the rules (alert transitions, webhook URL
 * checks, sealed signing secrets); these routes validate, authorize and audit, then call it over the MONITOR binding
 * with the operator's credential, which the monitor authorizes again with the same actions.
 */
import { z } from '@hono/zod-openapi';
import { type AdminApi, adminProxy } from '../../api.js';
import { json } from '../../schemas.js';

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

/** The time window and size of a list, newest first. */
const window = {
  since: Time.optional(),
  until: Time.optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
};

export function registerMonitoringRoutes(api: AdminApi): void {
  const area = { upstream: 'monitor', prefix: '/admin', params: { id: z.string().uuid() } } as const;
  const alerts = adminProxy(api, {
    ...area,
    area: 'alerts',
    tag: 'alerts',
    answer: json('The alert', Alert),
    target: ({ id }) => ({ alert_id: id }),
  });
  alerts('Admin_alerts_read', 'get', '/v1/alerts', {
    summary: 'List and filter alerts',
    query: z.object({
      status: z.string().max(64).optional().describe('open, acknowledged, resolved (comma-separated)'),
      severity: z.string().max(64).optional().describe('low, medium, high, critical (comma-separated)'),
      detector: Ident.optional(),
      kind: Ident.optional(),
      ...window,
    }),
    responses: { 200: json('Alerts, newest first', z.object({ alerts: z.array(Alert) })) },
  });
  alerts('Admin_alerts_read', 'get', '/v1/alerts/{id}', { summary: 'Read an alert' });
  alerts('Admin_alerts_acknowledge', 'post', '/v1/alerts/{id}/acknowledge', { summary: 'Acknowledge an open alert' });
  alerts('Admin_alerts_resolve', 'post', '/v1/alerts/{id}/resolve', { summary: 'Resolve an alert' });

  adminProxy(api, { ...area, area: 'events', tag: 'audit' })('Admin_events_read', 'get', '/v1/audit', {
    summary: 'Query the audit log (security events kept by the monitor)',
    query: z.object({
      actor: Ident.optional(),
      client_id: Ident.optional(),
      user_id: Ident.optional(),
      type: Ident.optional(),
      ip: Ident.optional(),
      outcome: z.enum(['success', 'failure', 'denied']).optional(),
      ...window,
    }),
    responses: { 200: json('Events, newest first', z.object({ events: z.array(AuditEvent) })) },
    to: '/admin/events',
  });

  const webhooks = adminProxy(api, {
    ...area,
    area: 'webhooks',
    tag: 'webhooks',
    target: ({ id }) => ({ webhook_id: id }),
  });
  webhooks('Admin_webhooks_read', 'get', '/v1/webhooks', {
    summary: 'List webhook endpoints',
    responses: { 200: json('Endpoints', z.object({ endpoints: z.array(Webhook) }).passthrough()) },
  });
  webhooks('Admin_webhooks_create', 'post', '/v1/webhooks', {
    summary: 'Register a webhook endpoint (its signing secret is shown once)',
    body: WebhookInput,
    responses: { 201: json('The endpoint and its secret', Webhook.extend({ secret: z.string() })) },
    audit: ({ body }, created) => ({ webhook_id: created.id ?? null, url: body.url }),
  });
  webhooks('Admin_webhooks_update', 'patch', '/v1/webhooks/{id}', {
    summary: 'Change or disable a webhook endpoint',
    body: WebhookPatch,
    responses: { 200: json('The endpoint', Webhook) },
    audit: ({ body }) => ({ fields: Object.keys(body).sort() }),
  });
  webhooks('Admin_webhooks_delete', 'delete', '/v1/webhooks/{id}', {
    summary: 'Delete a webhook endpoint',
    responses: { 204: { description: 'Deleted' } },
  });
}
